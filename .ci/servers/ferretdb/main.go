// Command ferretdb-ci runs FerretDB (a MongoDB wire-protocol server) on its SQLite backend, through
// FerretDB's own embeddable package: FerretDB's cmd/ferretdb panics when built outside its git checkout
// (it reads build/version/version.txt, which the module zip lacks), the embeddable package does not.
// Usage: ferretdb-ci LISTEN_ADDR SQLITE_DIR
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/FerretDB/FerretDB/build/version"
	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	if len(os.Args) != 3 {
		log.Fatalf("usage: %s LISTEN_ADDR SQLITE_DIR", os.Args[0])
	}
	// The embedded build reports "unknown" as its version: report the FerretDB module this binary was built from.
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/FerretDB/FerretDB" {
				version.Get().Version = dep.Version
			}
		}
	}
	server, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: os.Args[1]},
		Handler:   "sqlite",
		SQLiteURL: "file:" + os.Args[2] + "/",
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Println("ferretdb listening on", os.Args[1])
	if err := server.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
