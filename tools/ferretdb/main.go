// Command ferretdb runs an embedded FerretDB (SQLite handler) as a local,
// MongoDB wire-compatible test database.
//
//	go build -o bin/ferretdb . && bin/ferretdb -listen 127.0.0.1:27018 -data ./.data/ferretdb
//
// It prints one "ready" line to stdout once the TCP listener is bound
// and stops cleanly on SIGINT or SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27018", "TCP address to listen on")
	data := flag.String("data", "./.data/ferretdb", "SQLite data directory (created if missing)")
	logLevel := flag.String("log-level", "error", "FerretDB log level: debug, info, warn (logs every failed command), error")
	flag.Parse()

	if err := run(*listen, *data, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}

func run(listen, data, logLevel string) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("bad -log-level %q: %w", logLevel, err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	dir, err := filepath.Abs(data)
	if err != nil {
		return err
	}
	if err = os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}

	// The SQLite handler wants a "file:" URI naming an existing directory, ending with "/".
	sqliteURL := (&url.URL{Scheme: "file", Path: strings.TrimSuffix(dir, "/") + "/", OmitHost: true}).String()

	start := time.Now()

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()

	// ferretdb.New has already bound the TCP listener, so clients can connect now.
	fmt.Printf("ferretdb ready: uri=%s data=%s startup=%s\n",
		f.MongoDBURI(), dir, time.Since(start).Round(time.Millisecond))

	select {
	case err = <-done: // Run returned on its own
	case <-ctx.Done():
		stop() // a second signal kills the process the default way
		err = <-done
	}

	fmt.Fprintln(os.Stderr, "ferretdb stopped")

	return err
}
