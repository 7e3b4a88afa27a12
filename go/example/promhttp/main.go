// An orders service instrumented only with client_golang's promhttp, the usual way: the three
// handlers with the route curried in, and the contract's thresholds as histogram buckets. Its
// contract (slo.yaml here) maps promhttp's names and labels; `sloctl gate slo.yaml` judges it.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// buckets: Prometheus' defaults plus every threshold and percentile ceiling of slo.yaml, from
// `sloctl generate contract slo.yaml | jq -c '[.bucketsMs[] / 1000]'`.
var buckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 2.5, 5, 10}

var (
	duration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name: "http_request_duration_seconds", Help: "Request latency.", Buckets: buckets,
	}, []string{"handler", "method", "code"})
	requests = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total", Help: "Requests.",
	}, []string{"handler", "method", "code"})
	inFlight = promauto.NewGauge(prometheus.GaugeOpts{Name: "http_in_flight_requests", Help: "In flight."})
)

// route instruments a handler under its route template (the `handler` label: never the raw path).
func route(template string, h http.HandlerFunc) http.Handler {
	l := prometheus.Labels{"handler": template}
	return promhttp.InstrumentHandlerInFlight(inFlight,
		promhttp.InstrumentHandlerDuration(duration.MustCurryWith(l),
			promhttp.InstrumentHandlerCounter(requests.MustCurryWith(l), h)))
}

func main() {
	mux := http.NewServeMux()
	mux.Handle("/products/", route("/products/:id", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"id":1}`)
	}))
	mux.Handle("/orders", route("/orders", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
		}
		fmt.Fprint(w, `{}`)
	}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"status":"UP"}`) })
	mux.Handle("/metrics", promhttp.Handler()) // the default registry: go_goroutines and process_* too
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe("127.0.0.1:"+port, mux))
}
