# SPDX-License-Identifier: GPL-2.0
# Sourced by init.sh in every case before the case's own workload: a little
# of what a host does, measured by the tcb policy (executables, and files
# root reads from the ramfs root).
mkdir -p /data
echo "hello from imasnap" > /data/hello.txt
cat /data/hello.txt > /dev/null
printf '#!/bin/sh\necho script ran\n' > /data/script.sh
chmod +x /data/script.sh
/data/script.sh > /dev/null
seq 1 100 > /data/numbers
cat /data/numbers > /dev/null
