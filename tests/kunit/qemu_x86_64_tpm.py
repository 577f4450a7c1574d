# SPDX-License-Identifier: GPL-2.0
# kunit.py --qemu_config for tests/kunit/run.sh --tpm: an x86_64 guest
# (SeaBIOS, so the TPM is in the ACPI tables) with a TPM TIS device; run.sh
# adds the swtpm -chardev/-tpmdev/-device arguments with --qemu_args.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_ACPI=y
CONFIG_TCG_TPM=y
CONFIG_TCG_TIS=y''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0',
			   extra_qemu_params=[])
