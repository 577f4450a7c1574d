/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libimasnap: what the imasnap subcommands, the unit tests, the fuzzers
 * and the benchmarks share on top of the lib/ core (../../lib/core.h).
 * One header per file; this one names them all.
 *
 * The verifier's part, libimasnap-verify.a (OpenSSL 3 and libtss2-mu only):
 *   error.h       diagnostics and the errno convention
 *   evp.h         the core's hash ops on OpenSSL EVP
 *   fileio.h      bounded whole-file reads, the one atomic file writer
 *   logfile.h     streaming binary_runtime_measurements reader
 *   ascii.h       a record as ascii_runtime_measurements prints it
 *   pcrfile.h     "<alg> <pcr> <hex>" PCR files, bank lists
 *   boot.h        boot_aggregate records and the PCRs 0-9 they digest
 *   kernels.h     the kernel image a kexec jumped into, an allowlist of them
 *   shard.h       the shard file format
 *   archive.h     the archive folder: shard names, range, newest; boot id
 *   quote.h       the quote file format and a verifier's quote checks
 *   checkpoint.h  what a verifier keeps between runs
 *   chain.h       the archive walk and its link rules
 *   live.h        the live log against the archive
 *   history.h     the history since the last cold boot as one log
 *   view.h        that history as files read at any offset
 *
 * The producer's part, with tpm2-tss ESAPI and a TCTI:
 *   esys.h        the TPM: banks, PCR reads
 *   ak.h          the attestation key and TPM2_Quote
 */
#ifndef _IMASNAP_LIBIMASNAP_H
#define _IMASNAP_LIBIMASNAP_H

#include "ak.h"
#include "archive.h"
#include "ascii.h"
#include "boot.h"
#include "chain.h"
#include "checkpoint.h"
#include "error.h"
#include "esys.h"
#include "evp.h"
#include "fileio.h"
#include "history.h"
#include "kernels.h"
#include "live.h"
#include "logfile.h"
#include "mtreplay.h"
#include "pcrfile.h"
#include "quote.h"
#include "shard.h"
#include "spool.h"
#include "view.h"

#endif /* _IMASNAP_LIBIMASNAP_H */
