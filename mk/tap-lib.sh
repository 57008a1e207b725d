# The check helper of the scripts that report checks (mk/demo.sh,
# mk/tests/bench-smoke.sh). Sourced.
#   check DESCRIPTION COMMAND...
# runs COMMAND and reports it: as TAP ("ok N ..." / "not ok N ...") when
# $tap is set, else as "$check_prefix: ok   ..." / "...: FAIL ...".
# check_n counts the checks, check_failed the failures.
check_n=0 check_failed=0
check() { # DESCRIPTION COMMAND...
    _what=$1
    shift
    check_n=$((check_n + 1))
    if "$@"; then
        [ -n "${tap:-}" ] && echo "ok $check_n $_what" ||
            echo "$check_prefix: ok   $_what"
    else
        check_failed=$((check_failed + 1))
        [ -n "${tap:-}" ] && echo "not ok $check_n $_what" ||
            echo "$check_prefix: FAIL $_what"
    fi
}
