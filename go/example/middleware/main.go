// An orders service on net/http instrumented with the sloctl Go middleware: the walk-through of
// the README's "Go services" section. Run by `sloctl gate slo.yaml` in this directory after
// `sloctl generate contract slo.yaml -o slo.json` and a build.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sloctl/sloctl-go/sloctl"
)

// ErrOutOfStock is a business error the handler reports; its status comes from the contract's
// classes (409 is "client" there).
var ErrOutOfStock = errors.New("out of stock")

func main() {
	path := os.Getenv("SLOCTL_CONTRACT") // or //go:embed slo.json and sloctl.Load(bytes)
	if path == "" {
		path = "slo.json"
	}
	contract, err := sloctl.LoadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	sdk, err := sloctl.New(contract, sloctl.Options{})
	if err != nil {
		log.Fatal(err)
	}
	// A breaker or a check feeds sloctl_dependency_up and the health composite.
	sdk.MustDependency("inventory").Check(func(ctx context.Context) error { return nil }, 100*time.Millisecond)

	mux := http.NewServeMux()
	mux.HandleFunc("/products/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"id":%q}`, strings.TrimPrefix(r.URL.Path, "/products/"))
	})
	mux.HandleFunc("/orders", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			fmt.Fprint(w, "[]")
			return
		}
		if r.URL.Query().Get("sku") == "gone" {
			sloctl.Fail(r, ErrOutOfStock) // the error class, walked like errors.Is
			http.Error(w, ErrOutOfStock.Error(), http.StatusConflict)
			return
		}
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"id":1}`)
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	// The middleware labels by the contract's route templates and serves /healthz and /metrics.
	log.Fatal(http.ListenAndServe("127.0.0.1:"+port, sdk.Middleware(mux)))
}
