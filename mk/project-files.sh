# The repository's files that belong in the QEMU tree at the same path.
# Sourced by the build scripts; prints one path per line, relative to the top.
project_dirs='hw include linux-headers tests docs contrib'
project_files() {
    (cd "$top" && git ls-files --cached --others --exclude-standard -- $project_dirs)
}
