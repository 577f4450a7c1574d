// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper run inside the QEMU guest:
 *
 *   kexec-load --restart2              reboot(RESTART2, "kexec reboot"): the
 *                                      reboot notifiers see a kexec, the
 *                                      machine then does a warm reset (the
 *                                      stale-record test; kexec-tools has no
 *                                      such mode)
 *   kexec-load KERNEL INITRD CMDLINE   kexec_file_load() + reboot(KEXEC), as
 *                                      `kexec -s -l ... && kexec -e` does
 *                                      (the kexec cases use kexec-tools now)
 */
#include <fcntl.h>
#include <linux/reboot.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int kfd, ifd;

	sync();
	if (argc == 2 && !strcmp(argv[1], "--restart2")) {
		syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
			LINUX_REBOOT_CMD_RESTART2, "kexec reboot");
		perror("reboot(RESTART2)");
		return 1;
	}
	if (argc != 4) {
		fprintf(stderr, "usage: kexec-load KERNEL INITRD CMDLINE | --restart2\n");
		return 2;
	}
	kfd = open(argv[1], O_RDONLY | O_CLOEXEC);
	ifd = open(argv[2], O_RDONLY | O_CLOEXEC);
	if (kfd < 0 || ifd < 0) {
		perror("open");
		return 1;
	}
	if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(argv[3]) + 1, argv[3], 0UL)) {
		perror("kexec_file_load");
		return 1;
	}
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_KEXEC, NULL);
	perror("reboot(KEXEC)");
	return 1;
}
