#compdef zccp
# zsh completion for zccp(1)
# Install: copy as _zccp into a directory of $fpath.

_arguments -s -S \
  '(-B --block-size)'{-B+,--block-size=}'[chunk size, 4K..1G, a multiple of 4K]:size (K, M, G suffixes):(4K 64K 256K 1M 4M 16M 64M)' \
  '(-Q --queue-depth)'{-Q+,--queue-depth=}'[chunks in the ring, 1..1024]:chunks:(1 2 4 8 16 32 64)' \
  '--lag=[how far the fastest destination may lead the slowest]:size (K, M, G suffixes):(4K 64K 256K 1M 4M 16M 64M)' \
  '(-e --engine)'{-e+,--engine=}'[I/O engine]:engine:((auto\:"choose per endpoint and kernel" uring\:"io_uring, registered buffers" group\:"io_uring SQE groups (kernel/ series)" splice\:"splice and tee through pipes" aio\:"libaio with O_DIRECT" rw\:"pread and pwrite"))' \
  '--sparse=[how to treat holes, as cp]:when:(auto always never)' \
  '--reflink=[clone extents instead of copying, as cp]:when:(auto always never)' \
  '--direct=[O_DIRECT reads and writes]:when:(auto always never)' \
  '(-r --recursive)'{-r,--recursive}'[copy a directory tree to every destination]' \
  '(-a --archive)'{-a,--archive}'[as cp -a: -r, and keep mode, ownership, times, xattrs]' \
  '--one-file-system[with -r, stay on the source'"'"'s file system]' \
  '*--exclude=[with -r, leave out what matches]:pattern: ' \
  '*--exclude-from=[with -r, leave out the patterns of a file]:file:_files' \
  '--preserve=-[keep the source'"'"'s attributes]::attributes:_sequence compadd - mode ownership timestamps xattr all' \
  '-p[keep mode, ownership and timestamps]' \
  '(-n --no-clobber)'{-n,--no-clobber}'[leave an existing destination alone]' \
  '-u[replace only destinations older than the source]' \
  '--update=-[which existing destinations to replace]::when:(older none all)' \
  '(-f --force)'{-f,--force}'[replace a destination we may not write]' \
  '--dry-run[print the plan per destination, write nothing]' \
  '--inplace[write regular destinations in place]' \
  '--fsync[fsync each destination before it replaces the old one]' \
  '--timeout=[seconds a network destination may take to connect or stall]:seconds:(0 5 10 30 60 300)' \
  '--listen=[receive the source from one sender on this address]:address (HOST\:PORT, \:PORT, *\:PORT or unix\:PATH): ' \
  '--raw[sockets carry bare data, for nc and socat]' \
  '--key-file=[the zccp streams'"'"'s secret (mode 600)]:key file:_files' \
  '--insecure[allow TCP without a key: anyone may send or listen]' \
  '--encrypt[streams in TLS 1.3 under the key: nobody on the path reads them]' \
  '--fanout=[how several ssh:// hosts get the data]:shape:((auto\:"a chain from two hosts on" chain\:"each host forwards to the next" star\:"this host sends to every host" tree=2\:"each node sends to two"))' \
  '--rsh=[how ssh:// starts its receivers (default ssh)]:command:_command_names' \
  '--remote-zccp=[ssh\://: the path of zccp on the other host]:path: ' \
  '--checksum=-[print the source'"'"'s digest on stdout]::algorithm:(sha256 xxh128)' \
  '--verify[read every file and device back and compare digests before replacing]' \
  '--on-error=[what to do when a destination fails]:policy:((continue\:"the other destinations go on" abort\:"stop everything, remove temporaries"))' \
  '--json[print a summary object on stdout at the end]' \
  '(-g --progress)-g[show progress on stderr (a mode: --progress=MODE)]' \
  '(-g --progress)--progress=-[show progress on stderr]::mode:(auto bar plain json)' \
  '--stats[per destination: bytes, seconds, throughput, engine]' \
  '(-v --verbose -q --quiet)'{-v,--verbose}'[say what is copied, as cp -v (-vv: how and why)]' \
  '(-v --verbose -q --quiet)'{-q,--quiet}'[print only errors]' \
  '(- *)'{-h,--help}'[show usage and exit]' \
  '(- *)'{-V,--version}'[show the version and the engines this kernel runs]' \
  '1:source (file, device, FIFO or -):_files' \
  '*:destination (file, device, FIFO, directory or -):_files'
