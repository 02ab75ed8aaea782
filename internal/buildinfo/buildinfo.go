// Package buildinfo says which build a binary is.
package buildinfo

import "runtime/debug"

// String is version with the commit the binary was built from (the Go
// toolchain records it from git), "+dirty" for uncommitted changes, and
// the Go version: what a bug report or a results file needs.
func String(version string) string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok {
		var rev, dirty string
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && len(s.Value) >= 12:
				rev = s.Value[:12]
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = "+dirty"
			}
		}
		if rev != "" {
			v += " (commit " + rev + dirty + ")"
		}
		v += " " + bi.GoVersion
	}
	return v
}
