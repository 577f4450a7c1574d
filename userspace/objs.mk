# SPDX-License-Identifier: GPL-2.0
# The objects of libimasnap, by part: included by userspace/Makefile and by
# the test builds that compile them their own way (tests/fuzz).
#   IMASNAP_CORE    ../lib/, the core the module compiles unchanged
#   IMASNAP_VERIFY  lib/, the verifier's part (OpenSSL and libtss2-mu only)
#   IMASNAP_TPM     lib/, the TPM side (tss2-esys, a TCTI)
IMASNAP_CORE := log state replay record aggregate
IMASNAP_VERIFY := error evp mtreplay spool fileio logfile pcrfile boot kernels shard archive quote ascii \
		  checkpoint chain live history view
IMASNAP_TPM := esys ak
