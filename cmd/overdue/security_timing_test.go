package main

// Threat: a key, token or signature compared with == leaks, through the
// time the comparison takes, how many leading bytes an attacker guessed
// right. Every package under internal/ is read as Go syntax and every ==
// or != between two values named like a secret fails the test;
// crypto/subtle (or hmac.Equal) is the way.

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// secretName matches identifiers, fields and methods that hold a secret or
// a value derived from one: apiKey, PingKey, token, sig, signature,
// keyHash, UniqueKey(), ...
var secretName = regexp.MustCompile(`(?i)(key|token|sig|hash|secret|password)`)

// notSecret are names that match secretName but hold no secret: kinds,
// lengths and the like. Keep this list short and say why.
var notSecret = regexp.MustCompile(`(?i)^(kind|keys?len|ctxkey|key(s)?count|hashalgo)$`)

// secretOperand reports whether e is a value named like a secret: an
// identifier, a field (x.apiKey), a call of a method so named
// (c.UniqueKey()) or an index into one (keys[i]).
func secretOperand(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.Ident:
		if e.Name == "nil" || e.Name == "true" || e.Name == "false" {
			return "", false
		}
		return e.Name, secretName.MatchString(e.Name) && !notSecret.MatchString(e.Name)
	case *ast.SelectorExpr:
		return secretOperand(e.Sel)
	case *ast.CallExpr:
		if id, ok := e.Fun.(*ast.Ident); ok && (id.Name == "len" || id.Name == "cap") {
			return "", false
		}
		if sel, ok := e.Fun.(*ast.SelectorExpr); ok {
			return secretOperand(sel.Sel)
		}
	case *ast.IndexExpr:
		return secretOperand(e.X)
	case *ast.ParenExpr:
		return secretOperand(e.X)
	case *ast.StarExpr:
		return secretOperand(e.X)
	}
	return "", false
}

// constant reports whether e is a literal or a named constant-like value
// (comparing a secret with "" or with a fixed word leaks nothing). A name
// of another package (notify.FieldPassword) counts: without type checking
// it cannot be told from a variable, and no package holds a caller's
// secret in a package-level name.
func constant(e ast.Expr, imports map[string]bool) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		id, ok := e.X.(*ast.Ident)
		return ok && imports[id.Name]
	case *ast.BasicLit:
		return true
	case *ast.Ident:
		return e.Name == "nil" || e.Name == "true" || e.Name == "false" || e.Obj != nil && e.Obj.Kind == ast.Con
	case *ast.CallExpr:
		if id, ok := e.Fun.(*ast.Ident); ok && (id.Name == "len" || id.Name == "cap") {
			return true
		}
	}
	return false
}

// timingLeaks returns "file:line: a == b" for every comparison of two
// non-constant values of which one is named like a secret.
func timingLeaks(t *testing.T, dirs []string) []string {
	t.Helper()
	var out []string
	fset := token.NewFileSet()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Fatalf("no Go files in %s", dir)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			file, err := parser.ParseFile(fset, f, src, 0)
			if err != nil {
				t.Fatal(err)
			}
			imports := map[string]bool{}
			for _, im := range file.Imports {
				name := path.Base(strings.Trim(im.Path.Value, `"`))
				if im.Name != nil {
					name = im.Name.Name
				}
				imports[name] = true
			}
			ast.Inspect(file, func(n ast.Node) bool {
				b, ok := n.(*ast.BinaryExpr)
				if !ok || (b.Op != token.EQL && b.Op != token.NEQ) || constant(b.X, imports) || constant(b.Y, imports) {
					return true
				}
				xn, xs := secretOperand(b.X)
				yn, ys := secretOperand(b.Y)
				if xs || ys {
					out = append(out, fset.Position(b.Pos()).String()+": "+xn+" "+b.Op.String()+" "+yn)
				}
				return true
			})
		}
	}
	return out
}

func TestSecurityNoTimingLeakingComparisons(t *testing.T) {
	t.Parallel()
	// Every package: credentials are checked in api, auth, web, accounts,
	// server and smtpd, but a helper elsewhere could compare one too.
	var dirs []string
	err := filepath.WalkDir(filepath.Join("..", "..", "internal"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		// testdata, and the test-support packages (smtptest, storetest, …)
		// that serve only tests.
		if d.IsDir() && (d.Name() == "testdata" || strings.HasSuffix(d.Name(), "test")) {
			return filepath.SkipDir
		}
		if d.IsDir() {
			if gos, _ := filepath.Glob(filepath.Join(p, "*.go")); len(gos) > 0 {
				dirs = append(dirs, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 20 {
		t.Fatalf("only %d packages found under internal/", len(dirs))
	}
	for _, leak := range timingLeaks(t, dirs) {
		t.Errorf("%s: compare secrets with crypto/subtle.ConstantTimeCompare", leak)
	}
}

// The scan finds what it is meant to find, and not the harmless forms.
func TestTimingLeakScanner(t *testing.T) {
	dir := t.TempDir()
	src := `package p

import "net/http"

const kind = "x"

type req struct{ apiKey string }

func f(r req, key, got string, keys []string, token []byte, c interface{ UniqueKey() string }) bool {
	_ = key == ""            // constant: fine
	_ = len(token) == 32     // length: fine
	_ = key == kind          // a named constant: fine
	_ = key == http.MethodGet // another package's name: fine
	_ = r.apiKey == got      // leak 1
	_ = got != key           // leak 2
	_ = keys[0] == got       // leak 3
	_ = c.UniqueKey() == got // leak 4
	return got == "ok"
}
`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := timingLeaks(t, []string{dir})
	if len(got) != 4 {
		t.Errorf("found %d leaks, want 4: %q", len(got), got)
	}
	for i, want := range []string{"apiKey == got", "got != key", "keys == got", "UniqueKey == got"} {
		if i < len(got) && !strings.HasSuffix(got[i], want) {
			t.Errorf("leak %d: %q, want …%q", i+1, got[i], want)
		}
	}
}
