# bash completion for zccp(1)
# Install: copy to /usr/share/bash-completion/completions/zccp,
# or source it from ~/.bashrc.

_zccp()
{
	# shellcheck disable=SC2034 # words, cword: set by _init_completion
	local cur prev words cword split=false
	if declare -F _init_completion >/dev/null; then
		_init_completion -s || return
	else
		COMPREPLY=()
		cur=${COMP_WORDS[COMP_CWORD]}
		prev=${COMP_WORDS[COMP_CWORD - 1]}
		# Readline splits "--engine=u" into "--engine" "=" "u".
		if [[ $cur == = ]]; then
			cur=
			split=true
		elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
			prev=${COMP_WORDS[COMP_CWORD - 2]}
			split=true
		elif [[ $cur == --*=* ]]; then
			prev=${cur%%=*}
			cur=${cur#*=}
			split=true
		fi
	fi

	case $prev in
	-e | --engine)
		# The engines of the zccp on PATH, from its --version; none
		# but auto if there is no zccp there.
		local line engines=
		while read -r line; do
			[[ $line == engines:* ]] && engines=${line#engines:}
		done < <(command zccp --version 2>/dev/null)
		engines=${engines//(unavailable)/}
		mapfile -t COMPREPLY < <(compgen -W "auto $engines" -- "$cur")
		return
		;;
	--sparse | --reflink | --direct)
		mapfile -t COMPREPLY < <(compgen -W 'auto always never' -- "$cur")
		return
		;;
	--on-error)
		mapfile -t COMPREPLY < <(compgen -W 'continue abort' -- "$cur")
		return
		;;
	--fanout)
		mapfile -t COMPREPLY < <(compgen -W 'auto chain star tree=2 tree=3 tree=4' -- "$cur")
		return
		;;
	-B | --block-size | --lag)
		mapfile -t COMPREPLY < <(compgen -W '4K 64K 256K 1M 4M 16M 64M' -- "$cur")
		return
		;;
	-Q | --queue-depth)
		mapfile -t COMPREPLY < <(compgen -W '1 2 4 8 16 32 64' -- "$cur")
		return
		;;
	--timeout)
		mapfile -t COMPREPLY < <(compgen -W '0 5 10 30 60 300' -- "$cur")
		return
		;;
	--checksum)
		# an optional value: only as --checksum=ALGO
		if $split; then
			mapfile -t COMPREPLY < <(compgen -W 'sha256 xxh128' -- "$cur")
			return
		fi
		;;
	--preserve)
		if $split; then
			# a comma separated list: complete its last word with
			# the words it does not have yet
			local done=${cur%"${cur##*,}"} w left=
			for w in mode ownership timestamps xattr all; do
				[[ ,$done == *",$w,"* ]] || left+=" $w"
			done
			mapfile -t COMPREPLY < <(compgen -P "$done" \
				-W "$left" -- "${cur##*,}")
			compopt -o nospace
			return
		fi
		;;
	--update)
		if $split; then
			mapfile -t COMPREPLY < <(compgen -W 'older none all' -- "$cur")
			return
		fi
		;;
	--progress)
		if $split; then
			mapfile -t COMPREPLY < <(compgen -W 'auto bar plain json' -- "$cur")
			return
		fi
		;;
	--exclude)
		# a pattern: nothing to offer
		return
		;;
	--listen)
		# ADDRESS: HOST:PORT, :PORT, *:PORT or unix:PATH; nothing to offer
		return
		;;
	--rsh)
		mapfile -t COMPREPLY < <(compgen -c -- "$cur")
		return
		;;
	--key-file | --remote-zccp | --exclude-from)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		compopt -o filenames
		return
		;;
	-h | --help | -V | --version)
		return
		;;
	esac
	$split && return

	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W '-B --block-size= -Q --queue-depth=
			--lag= -e --engine= --sparse= --reflink= --direct=
			--inplace --fsync --timeout= --listen= --raw --key-file= --insecure --encrypt --fanout= --rsh= --remote-zccp= --checksum --verify --json
			-n --no-clobber -u --update -f --force --dry-run -g --progress
			-p --preserve -r --recursive -a --archive --one-file-system --exclude= --exclude-from=
			--on-error= --stats -v --verbose -q --quiet -h --help
			-V --version' -- "$cur")
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace
		return
	fi
	# SOURCE and DEST: files, devices, FIFOs, directories.
	mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	compopt -o filenames
} &&
	complete -F _zccp zccp
