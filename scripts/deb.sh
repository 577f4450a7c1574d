#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: imasnap's Debian packages into build/deb/, each checked by
# lintian (an error fails; the tags are in build/deb/lintian.txt).
#
#   imasnap, imasnap-dkms   from this tree's tracked files (git ls-files),
#                           debian/ (dpkg-buildpackage -us -uc -b)
#   kexec-tools-imasnap     a source package of its own, put together here:
#                           Debian 12's kexec-tools orig tarball and Debian's
#                           patches (kexec/build.sh source fetches them) with
#                           kexec/series appended, and
#                           packaging/kexec-tools-imasnap/debian/
#
# The packages' versions: dkms.conf's PACKAGE_VERSION (debian/changelog must
# agree: debian/rules checks), and Debian's kexec-tools version with
# +imasnap<version> appended.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/deb
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$top/dkms.conf")
[ -n "$ver" ] || { echo "deb.sh: no PACKAGE_VERSION in dkms.conf" >&2; exit 2; }
git -C "$top" rev-parse --git-dir > /dev/null 2>&1 ||
	{ echo "deb.sh: $top is not a git checkout (the package takes its tracked files)" >&2; exit 2; }
say() { echo "deb: $*" >&2; }

rm -rf "$out"
mkdir -p "$out/src"

# --- imasnap, imasnap-dkms ------------------------------------------------
src=$out/src/imasnap-$ver
mkdir "$src"
(cd "$top" && git ls-files -z | tar --null -T - -cf -) | tar -xf - -C "$src"
say "building imasnap $ver (dpkg-buildpackage -b)"
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/imasnap.build.log" 2>&1 || {
	tail -n 40 "$out/imasnap.build.log" >&2; echo "deb.sh: imasnap did not build" >&2; exit 1; }

# --- kexec-tools-imasnap ------------------------------------------------------
dsc=$("$top/kexec/build.sh" source)
dl=$(dirname "$dsc")
kver=$(sed -n 's/^Version: //p' "$dsc")		# 1:2.0.25-3+deb12u3
up=${kver#*:}
up=${up%-*}					# 2.0.25
rev=${kver##*-}					# 3+deb12u3
kv=$up-$rev+imasnap$ver
orig=$(ls "$dl"/kexec-tools_"$up".orig.tar.*)
ksrc=$out/src/kexec-tools-imasnap-$up
mkdir "$ksrc"
cp "$orig" "$out/src/kexec-tools-imasnap_$up.orig.tar.${orig##*.orig.tar.}"
tar -xf "$orig" -C "$ksrc" --strip-components=1
cp -r "$top/packaging/kexec-tools-imasnap/debian" "$ksrc/debian"
mkdir -p "$ksrc/debian/patches" "$out/src/debian-kexec"
tar -xf "$(ls "$dl"/kexec-tools_"${kver#*:}".debian.tar.*)" -C "$out/src/debian-kexec"
# Debian's patches in Debian's order, then imasnap's series.
while read -r p; do
	case $p in "" | "#"*) continue ;; esac
	cp "$out/src/debian-kexec/debian/patches/$p" "$ksrc/debian/patches/"
	echo "$p" >> "$ksrc/debian/patches/series"
done < "$out/src/debian-kexec/debian/patches/series"
while read -r p; do
	[ -n "$p" ] || continue
	cp "$top/kexec/patches/$p" "$ksrc/debian/patches/"
	echo "$p" >> "$ksrc/debian/patches/series"
done < "$top/kexec/series"
# The copyright: ours over the whole, then Debian's notice word for word.
{
	cat "$ksrc/debian/copyright.in"
	sed -e 's/^[[:space:]]*$/./' -e 's/^/ /' "$out/src/debian-kexec/debian/copyright"
} > "$ksrc/debian/copyright"
rm "$ksrc/debian/copyright.in"
# Its date (and so SOURCE_DATE_EPOCH, the files' mtimes): the last commit
# that changed what goes into the package, so that a commit elsewhere (the
# docs, the tests) builds the same bytes and tests/system/image.sh, which
# keys its cached guest on the packages, does not build a new one.
kdate=$(git -C "$top" log -1 --format=%ct -- kexec packaging/kexec-tools-imasnap dkms.conf scripts/deb.sh)
cat > "$ksrc/debian/changelog" <<EOF
kexec-tools-imasnap ($kv) bookworm; urgency=medium

  * Debian's kexec-tools $kver with imasnap $ver's kexec/series:
$(sed -n 's/^\(.\+\)$/    \1/p' "$top/kexec/series")

 -- imasnap developers <imasnap@example.org>  $(date -R -d "@$kdate")
EOF
say "building kexec-tools-imasnap $kv (dpkg-buildpackage -b)"
(cd "$ksrc" && dpkg-buildpackage -us -uc -b) > "$out/kexec-tools-imasnap.build.log" 2>&1 || {
	tail -n 40 "$out/kexec-tools-imasnap.build.log" >&2
	echo "deb.sh: kexec-tools-imasnap did not build" >&2; exit 1; }

mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out/"
rm -rf "$out/src"

# --- lintian ------------------------------------------------------------------
# As root (CI is), lintian says so on stderr; the tags go to stdout, the
# overridden ones as O: (each override says why in its file).
lrc=0
lintian -I --show-overrides "$out"/*.changes > "$out/lintian.txt" 2> "$out/lintian.err" || lrc=$?
n() { grep -c "^$1:" "$out/lintian.txt" || true; }
say "lintian: $(n E) errors, $(n W) warnings, $(n I) infos, $(n O) overridden (build/deb/lintian.txt)"
sed 's/^/  /' "$out/lintian.txt" >&2
if grep -q '^E:' "$out/lintian.txt" || [ "$lrc" != 0 ]; then
	cat "$out/lintian.err" >&2
	echo "deb.sh: lintian found errors (exit $lrc)" >&2
	exit 1
fi
ls -1 "$out"/*.deb
