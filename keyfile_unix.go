//go:build unix

package freshtoken

import (
	"fmt"
	"os"
	"syscall"
)

// checkKeyFile refuses a key file that LoadOrCreateKey should not trust:
// one another user owns (planted before the first start, in a directory
// others can write to), one others may write to (replaced later), or one
// every user may read (the private key is no longer private). A file
// LoadOrCreateKey wrote (mode 0600, this process's user) always passes.
// LoadKey does not check: it reads keys the deployment put there, such as
// mounted secrets owned by root.
func checkKeyFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("freshtoken: key file %s: %w", path, err)
	}
	mode := fi.Mode().Perm()
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return withDetail(ErrInvalidKey, fmt.Sprintf(
			"%s is owned by uid %d, not by this process's uid %d: LoadOrCreateKey trusts only a key file its own user wrote (use LoadKey for a key the deployment provides)",
			path, st.Uid, os.Geteuid()))
	}
	switch {
	case mode&0o022 != 0:
		return withDetail(ErrInvalidKey, fmt.Sprintf("%s is writable by group or others (mode %04o): anyone who can write it can choose the signing key; chmod 600 it", path, mode))
	case mode&0o004 != 0:
		return withDetail(ErrInvalidKey, fmt.Sprintf("%s is readable by every user (mode %04o): chmod 600 it", path, mode))
	}
	return nil
}
