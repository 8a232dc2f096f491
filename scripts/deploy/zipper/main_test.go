package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"
)

func TestWriteIsReproducible(t *testing.T) {
	fsys := fstest.MapFS{
		"main":        {Data: []byte("\x7fELF binary"), Mode: 0o755, ModTime: time.Now()},
		"conf/b.json": {Data: []byte(`{"b":1}`), Mode: 0o600, ModTime: time.Now().Add(-time.Hour)},
		"a.txt":       {Data: []byte("a"), Mode: 0o644},
	}
	var first, second bytes.Buffer
	if err := Write(&first, fsys); err != nil {
		t.Fatal(err)
	}
	for _, f := range fsys {
		f.ModTime = time.Now().Add(time.Minute) // new times must not matter
	}
	if err := Write(&second, fsys); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Fatal("two zips of the same files differ")
	}

	zr, err := zip.NewReader(bytes.NewReader(first.Bytes()), int64(first.Len()))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name string
		mode os.FileMode
	}{{"a.txt", 0o644}, {"conf/b.json", 0o644}, {"main", 0o755}}
	if len(zr.File) != len(want) {
		t.Fatalf("%d entries, want %d", len(zr.File), len(want))
	}
	for i, f := range zr.File {
		if f.Name != want[i].name || f.Mode() != want[i].mode {
			t.Errorf("entry %d = %s %v, want %s %v", i, f.Name, f.Mode(), want[i].name, want[i].mode)
		}
		if !f.Modified.Equal(Epoch) {
			t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, Epoch)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, fsys[f.Name].Data) {
			t.Errorf("%s: content %q, want %q", f.Name, got, fsys[f.Name].Data)
		}
	}
}

func TestWriteRefusesEmptyAndSpecial(t *testing.T) {
	if err := Write(io.Discard, fstest.MapFS{}); err == nil {
		t.Error("an empty folder zipped without error")
	}
	dir := t.TempDir()
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "link")); err != nil {
		t.Skip(err)
	}
	if err := Write(io.Discard, os.DirFS(dir)); err == nil {
		t.Error("a symbolic link was zipped")
	}
}

func TestRunWritesFileAtomically(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "fn")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main"), []byte("bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "fn.zip")
	if err := run(out, src); err != nil {
		t.Fatal(err)
	}
	if err := run(filepath.Join(dir, "bad.zip"), filepath.Join(dir, "missing")); err == nil {
		t.Error("zipping a missing folder succeeded")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "fn" && e.Name() != "fn.zip" {
			t.Errorf("left behind %s", e.Name())
		}
	}
}
