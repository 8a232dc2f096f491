// Command zipper writes a reproducible zip of a directory: the same files
// give the same bytes on every machine and every run. scripts/build.sh uses
// it for the Function Compute code packages (the machine may have no zip).
//
//	go run ./scripts/deploy/zipper OUT.zip DIR
//
// Entries are the regular files under DIR, named by their slash-separated
// path relative to DIR, in lexical order, deflated, each with the fixed
// modification time [Epoch] and mode 0755 when the file is executable by
// its owner, else 0644. Directories get no entries of their own; symbolic
// links and other special files are refused.
package main

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Epoch is every entry's modification time: the earliest a zip's MS-DOS
// date can hold.
var Epoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: zipper OUT.zip DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "zipper:", err)
		os.Exit(1)
	}
}

func run(out, dir string) error {
	// Write to a temporary file beside out and rename, so a failed run
	// never leaves a half-written package behind.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".zipper-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := Write(tmp, os.DirFS(dir)); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

// Write zips the regular files of fsys into w (see the package doc).
func Write(w io.Writer, fsys fs.FS) error {
	var names []string
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir():
			return nil
		case !d.Type().IsRegular():
			return fmt.Errorf("%s: not a regular file", name)
		}
		names = append(names, name)
		return nil
	})
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return fmt.Errorf("no files to zip")
	}
	sort.Strings(names)

	zw := zip.NewWriter(w)
	for _, name := range names {
		if err := add(zw, fsys, name); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return zw.Close()
}

func add(zw *zip.Writer, fsys fs.FS, name string) error {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return err
	}
	mode := fs.FileMode(0o644)
	if info.Mode().Perm()&0o100 != 0 {
		mode = 0o755
	}
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: Epoch}
	h.SetMode(mode)
	dst, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	src, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = io.Copy(dst, src)
	return err
}
