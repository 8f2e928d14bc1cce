# shellcheck shell=bash
# Test-only LD_PRELOAD shims (lib/preload/NAME.c) that make pinholed meet a
# kernel that behaves otherwise: an older one, or one refusing a message.
# Source after lab.sh; call after lab_up (they are built into $LAB_DIR).

# preload_build NAME: compiles lib/preload/NAME.c into ${LAB_DIR}/NAME.so; skips the case without cc.
preload_build() {
    command -v cc >/dev/null || skip "no C compiler (cc) to build the LD_PRELOAD shim $1"
    cc -shared -fPIC -O2 -Wall -Werror -o "${LAB_DIR}/$1.so" "${LAB_LIB_DIR}/preload/$1.c" -ldl ||
        fail "could not compile the LD_PRELOAD shim ${LAB_LIB_DIR}/preload/$1.c"
}

# preload_pinholed NAME [VAR=VALUE...]: from now on $PINHOLED is a wrapper that
# execs the real binary under LD_PRELOAD=NAME.so with that environment (exec all
# the way: the pid start_pinholed records is pinholed's own).
preload_pinholed() {
    local name="$1" wrapper="${LAB_DIR}/pinholed-$1"
    shift
    preload_build "${name}"
    {
        echo '#!/bin/bash'
        printf 'exec env LD_PRELOAD=%q' "${LAB_DIR}/${name}.so"
        [[ "$#" -eq 0 ]] || printf ' %q' "$@"
        printf ' %q "$@"\n' "${PINHOLED}"
    } >"${wrapper}"
    chmod +x "${wrapper}"
    PINHOLED="${wrapper}"
}
