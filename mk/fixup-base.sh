#!/bin/sh
# Fix-ups that Debian's "+ds" (DFSG) tarball needs before it builds offline.
# Run in the top of the extracted tree; the result is one commit of its own,
# kept apart from patches/ because none of it is meant for upstream.
set -eu

# pycotap is only used by the functional tests and is not packaged in
# bookworm; configure would try to install it into its venv and fail offline.
sed -i 's/^pycotap = /# pycotap = /' pythondeps.toml

# The +ds tarball has no python/wheels: meson must come from the system.
mkdir -p python/wheels

# pc-bios/edk2-*.fd.bz2 are removed by Debian. meson unpacks them whenever
# bzip2 is present; mk/firmware.sh provides them from Debian's packages.
# Keep git from ever recording them.
printf '/pc-bios/edk2-*.fd.bz2\n' >> .git/info/exclude
