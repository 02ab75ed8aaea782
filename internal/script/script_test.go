package script

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestParse: blocks, input, both output forms, and comments kept.
func TestParse(t *testing.T) {
	src := "# comment\n\necho a=1 flag\nin1\nin2\n----\nout\n\nblank\n----\n----\nx\n\ny\n----\n----\n\nlast\n----\n"
	bs, err := parse("s.txt", src)
	if err != nil {
		t.Fatal(err)
	}
	var cmds []*block
	for i := range bs {
		if bs[i].cmd != nil {
			cmds = append(cmds, &bs[i])
		}
	}
	if len(cmds) != 3 {
		t.Fatalf("%d commands, want 3", len(cmds))
	}
	c := cmds[0].cmd
	if c.Name != "echo" || c.Input != "in1\nin2" || cmds[0].expected != "out" || c.Pos != "s.txt:3" {
		t.Errorf("first command %+v, expected %q", c, cmds[0].expected)
	}
	if len(c.Args) != 2 || c.Args[0].Key != "a" || c.Args[0].Val != "1" || !c.Args[1].Flag {
		t.Errorf("args %+v %+v", c.Args[0], c.Args[1])
	}
	if cmds[1].expected != "x\n\ny" {
		t.Errorf("blank-line output %q", cmds[1].expected)
	}
	if cmds[2].expected != "" {
		t.Errorf("empty output %q", cmds[2].expected)
	}
	for _, bad := range []string{"cmd\nno separator\n", "cmd\n----\n----\nunclosed\n"} {
		if _, err := parse("bad.txt", bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestRewrite: -rewrite writes actual outputs, blank lines in the double
// form, and a second run then passes unchanged.
func TestRewrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.txt")
	src := "# keep\nsay n=2\n----\nstale\n\nsay n=1\n----\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	h := func(c *Command) (string, error) {
		n := c.Int("n", 0)
		return strings.Repeat("line\n\n", n), nil
	}
	old := *rewrite
	*rewrite = true
	Run(t, path, h)
	*rewrite = old
	got, _ := os.ReadFile(path)
	want := "# keep\nsay n=2\n----\n----\nline\n\nline\n----\n----\n\nsay n=1\n----\nline\n"
	if string(got) != want {
		t.Fatalf("rewritten:\n%s\nwant:\n%s", got, want)
	}
	Run(t, path, h)
}
