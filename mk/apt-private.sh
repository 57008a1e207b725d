# A private apt configuration, to fetch Debian packages without touching the
# system's apt: the sources, lists, cache and an empty dpkg status live in
# one directory. Sourced by mk/guest.sh, mk/guest-cxl-tool.sh, mk/kroot.sh.
#   apt_private_conf DIR ARCH...  -- writes DIR/apt.conf for the caller's
#                                  DIR/sources.list and prints its path, to
#                                  use as apt-get -c PATH, apt-cache -c PATH
apt_private_conf() {
    _dir=$1
    shift
    mkdir -p "$_dir/lists/partial" "$_dir/cache/archives/partial"
    {
        echo "Dir::Etc::SourceList \"$_dir/sources.list\";"
        echo 'Dir::Etc::SourceParts "/dev/null";'
        echo "Dir::State::Lists \"$_dir/lists\";"
        echo 'Dir::State::status "/dev/null";'
        echo "Dir::Cache \"$_dir/cache\";"
        echo 'Debug::NoLocking "true";'
        echo 'APT::Sandbox::User "root";'
        printf 'APT::Architectures {'
        printf ' "%s";' "$@"
        echo ' };'
    } > "$_dir/apt.conf"
    echo "$_dir/apt.conf"
}
