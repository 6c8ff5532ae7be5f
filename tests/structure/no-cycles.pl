#!/usr/bin/perl
# The core's files depend on each other one way only (issue 17): no two
# source files call each other, however indirectly, and no two headers
# include each other.  A cycle is a design to untangle, not a link
# order to tune.  Usage: no-cycles.pl LIBZCCP_CORE.a INCLUDE_DIR
# Prints each cycle it finds; exits 1 if there is one, 0 if none.
use strict;
use warnings;

my ($lib, $incdir) = @ARGV;
die "usage: $0 LIBRARY.a INCLUDE_DIR\n" unless $lib && $incdir;

# Which object defines each symbol, and which symbols each one uses.
my (%defines, %uses);
open(my $nm, '-|', 'nm', '-A', $lib) or die "nm $lib: $!\n";
while (<$nm>) {
	next unless /^[^:]+:([^:]+\.o):\s*(?:[0-9a-f]+\s+)?([A-Za-z])\s+(\S+)$/;
	my ($obj, $type, $sym) = ($1, $2, $3);
	if ($type eq 'U') {
		$uses{$obj}{$sym} = 1;
	} elsif ($type =~ /[TDBR]/) {
		$defines{$sym} = $obj;
	}
}
close($nm) or die "nm $lib failed\n";
die "$lib: no objects read\n" unless %defines;

my %calls;
for my $obj (keys %uses) {
	for my $sym (keys %{ $uses{$obj} }) {
		my $to = $defines{$sym};
		$calls{$obj}{$to} = 1 if defined $to && $to ne $obj;
	}
}

my %includes;
opendir(my $dh, "$incdir/zccp") or die "$incdir/zccp: $!\n";
for my $h (grep { /\.h$/ } readdir($dh)) {
	open(my $fh, '<', "$incdir/zccp/$h") or die "$h: $!\n";
	while (<$fh>) {
		$includes{$h}{$1} = 1 if /^#include "zccp\/([^"]+)"/;
	}
}

# Depth-first search; a grey node met again closes a cycle.
sub cycles {
	my ($graph, $what) = @_;
	my (%colour, @path, $found);
	my $visit;
	$visit = sub {
		my ($n) = @_;
		$colour{$n} = 1;
		push @path, $n;
		for my $m (sort keys %{ $graph->{$n} || {} }) {
			if (($colour{$m} // 0) == 1) {
				my @loop = @path;
				shift @loop while $loop[0] ne $m;
				print "cycle ($what): ", join(' -> ', @loop, $m), "\n";
				$found = 1;
			} elsif (!$colour{$m}) {
				$visit->($m);
			}
		}
		pop @path;
		$colour{$n} = 2;
	};
	$colour{$_} or $visit->($_) for sort keys %$graph;
	return $found;
}

my $bad = cycles(\%calls, 'calls between source files');
$bad = cycles(\%includes, 'headers including each other') || $bad;
printf "%d objects, %d headers: %s\n", scalar(keys %calls),
	scalar(keys %includes), $bad ? 'cycles found' : 'no cycles';
exit($bad ? 1 : 0);
