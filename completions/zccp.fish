# fish completion for zccp(1)
# Install: copy to ~/.config/fish/completions/zccp.fish

complete -c zccp -s B -l block-size -x -a '4K 64K 256K 1M 4M 16M 64M' -d 'Chunk size, 4K..1G, a multiple of 4K'
complete -c zccp -s Q -l queue-depth -x -a '1 2 4 8 16 32 64' -d 'Chunks in the ring, 1..1024'
complete -c zccp -l lag -x -a '4K 64K 256K 1M 4M 16M 64M' -d 'How far the fastest destination may lead the slowest'
complete -c zccp -s e -l engine -x -d 'I/O engine' -a "
auto\t'Choose per endpoint and kernel'
uring\t'io_uring, registered buffers'
group\t'io_uring SQE groups (kernel/ series)'
splice\t'splice and tee through pipes'
aio\t'libaio with O_DIRECT'
rw\t'pread and pwrite'"
complete -c zccp -l sparse -x -a 'auto always never' -d 'How to treat holes, as cp'
complete -c zccp -l reflink -x -a 'auto always never' -d 'Clone extents instead of copying, as cp'
complete -c zccp -l direct -x -a 'auto always never' -d 'O_DIRECT reads and writes'
complete -c zccp -s r -l recursive -d 'Copy a directory tree to every destination'
complete -c zccp -s a -l archive -d 'As cp -a: -r, and keep mode, ownership, times, xattrs'
complete -c zccp -l one-file-system -d "With -r, stay on the source's file system"
complete -c zccp -l exclude -x -d 'With -r, leave out what matches a pattern'
complete -c zccp -l exclude-from -r -F -d 'With -r, leave out the patterns of a file'
# --preserve=LIST: after a comma, the words the list does not have yet
function __zccp_preserve_words
	set -l list (commandline -ct | string replace -r -- '^--preserve=' '')
	set -l done (string replace -r -- '[^,]*$' '' $list)
	set -l have (string split -- , $done)
	for w in mode ownership timestamps xattr all
		contains -- $w $have; or echo $done$w
	end
end
complete -c zccp -l preserve -f -a '(__zccp_preserve_words)' -d "Keep the source's attributes"
complete -c zccp -s p -d 'Keep mode, ownership and timestamps'
complete -c zccp -s n -l no-clobber -d 'Leave an existing destination alone'
complete -c zccp -s u -d 'Replace only destinations older than the source'
complete -c zccp -l update -f -a 'older none all' -d 'Which existing destinations to replace'
complete -c zccp -s f -l force -d 'Replace a destination we may not write'
complete -c zccp -l dry-run -d 'Print the plan per destination, write nothing'
complete -c zccp -l inplace -d 'Write regular destinations in place'
complete -c zccp -l fsync -d 'Fsync each destination before it replaces the old one'
complete -c zccp -l timeout -x -a '0 5 10 30 60 300' -d 'Seconds a network destination may take to connect or stall'
complete -c zccp -l listen -x -d 'Receive the source from one sender on ADDRESS'
complete -c zccp -l raw -d 'Sockets carry bare data, for nc and socat'
complete -c zccp -l key-file -r -F -d "The zccp streams' secret (mode 600)"
complete -c zccp -l insecure -d 'Allow TCP without a key: anyone may send or listen'
complete -c zccp -l encrypt -d 'Streams in TLS 1.3 under the key: nobody on the path reads them'
complete -c zccp -l fanout -x -d 'How several ssh:// hosts get the data' -a "
auto\t'A chain from two hosts on'
chain\t'Each host forwards to the next'
star\t'This host sends to every host'
tree=2\t'Each node sends to two'"
complete -c zccp -l rsh -x -a '(__fish_complete_command)' -d 'How ssh:// starts its receivers (default ssh)'
complete -c zccp -l remote-zccp -r -d "ssh://: zccp's path on the other host"
complete -c zccp -l checksum -f -a 'sha256 xxh128' -d "Print the source's digest on stdout"
complete -c zccp -l verify -d 'Read destinations back and compare digests before replacing'
complete -c zccp -l on-error -x -d 'What to do when a destination fails' -a "
continue\t'The other destinations go on'
abort\t'Stop everything, remove temporaries'"
complete -c zccp -l json -d 'Print a summary object on stdout at the end'
complete -c zccp -s g -d 'Show progress on stderr (a mode: --progress=MODE)'
complete -c zccp -l progress -f -a 'auto bar plain json' -d 'Show progress on stderr'
complete -c zccp -l stats -d 'Per destination: bytes, seconds, throughput, engine'
complete -c zccp -s v -l verbose -d 'Say what is copied, as cp -v (-vv: how and why)'
complete -c zccp -s q -l quiet -d 'Print only errors'
complete -c zccp -s h -l help -d 'Show usage and exit'
complete -c zccp -s V -l version -d 'Show the version and the engines this kernel runs'
