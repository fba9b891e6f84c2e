// Command hungfuse mounts a FUSE filesystem whose reads never answer
// until it is stopped (see cmd/testtool/hungfuse), for trying by hand
// what a config or TLS file on a hung mount does to pulseboard:
//
//	hungfuse -dir /mnt/hung -file pulseboard.yaml=CONTENT_FILE -file ca.pem=CONTENT_FILE
//
// SIGINT or SIGTERM answers the reads and unmounts.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pulseboard/pulseboard/cmd/testtool/hungfuse"
)

type fileFlags map[string]string

func (f fileFlags) String() string { return fmt.Sprint(map[string]string(f)) }

func (f fileFlags) Set(v string) error {
	name, src, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want NAME=CONTENT_FILE, got %q", v)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	f[name] = string(data)
	return nil
}

func main() {
	dir := flag.String("dir", "", "mount point (an existing empty directory)")
	files := fileFlags{}
	flag.Var(files, "file", "NAME=CONTENT_FILE: a file of the mount and its content (repeatable)")
	flag.Parse()
	if *dir == "" || len(files) == 0 {
		flag.Usage()
		os.Exit(2)
	}
	m, err := hungfuse.New(*dir, files)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hungfuse:", err)
		os.Exit(1)
	}
	fmt.Println("mounted", *dir)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	if err := m.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "hungfuse:", err)
		os.Exit(1)
	}
}
