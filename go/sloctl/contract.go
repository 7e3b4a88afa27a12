package sloctl

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// SchemaVersion is the version of the normalized contract JSON this package reads
// (`sloctl generate contract` writes it; src/emit/contract-json.ts is its one writer).
const SchemaVersion = 1

// EnvContract names the environment variable LoadEnv reads the contract JSON's path from.
const EnvContract = "SLOCTL_CONTRACT"

// Contract is the normalized contract: units resolved (durations in milliseconds, every such
// field ends in Ms; ratios 0..1), defaults applied, buckets and thresholds derived by sloctl.
type Contract struct {
	SchemaVersion      int               `json:"schemaVersion"`
	Source             string            `json:"source"`
	Service            Service           `json:"service"`
	Paths              Paths             `json:"paths"`
	ErrorClasses       []ErrorClass      `json:"errorClasses"`
	Probes             []Probe           `json:"probes"`
	Routes             []Route           `json:"routes"`
	DefaultThresholdMs *float64          `json:"defaultThresholdMs"`
	Dependencies       []DependencySpec  `json:"dependencies"`
	Health             HealthPolicy      `json:"health"`
	LatencyThresholdMs []float64         `json:"latencyThresholdsMs"`
	BucketsMs          []float64         `json:"bucketsMs"`
	MetricNames        map[string]string `json:"metricNames"`
}

// Service names the service.
type Service struct {
	Name    string `json:"name"`
	Runtime string `json:"runtime"`
}

// Paths are the health and metrics paths the SDK serves (target.health, target.metrics).
type Paths struct {
	Health  string `json:"health"`
	Metrics string `json:"metrics"`
}

// ErrorClass is one of the contract's error classes, tried in order; the first match wins.
type ErrorClass struct {
	Name   string   `json:"name"`
	Weight float64  `json:"weight"`
	Good   bool     `json:"good"`
	Status [][2]int `json:"status"` // inclusive ranges
	Errors []string `json:"errors"` // type names (bare or pkg.Name)
	Codes  []string `json:"codes"`  // syscall errno names (ECONNRESET) or Code() strings
}

// Probe is a request outside every SLI.
type Probe struct {
	Path      string  `json:"path"`
	Method    *string `json:"method"`
	UserAgent *string `json:"userAgent"`
}

// Route is a contract route.
type Route struct {
	Name         string   `json:"name"`
	Method       string   `json:"method"`
	Path         string   `json:"path"`
	Weight       float64  `json:"weight"`
	SLIClass     string   `json:"sliClass"`
	ThresholdMs  *float64 `json:"thresholdMs"`
	Dependencies []string `json:"dependencies"`
}

// DependencySpec is a declared dependency.
type DependencySpec struct {
	Name      string  `json:"name"`
	Critical  bool    `json:"critical"`
	TimeoutMs float64 `json:"timeoutMs"`
	URL       *string `json:"url"`
}

// HealthPolicy is what the health composite judges against.
type HealthPolicy struct {
	Weights          Weights  `json:"weights"`
	LatencyObjective *float64 `json:"latencyObjective"`
	SuccessObjective *float64 `json:"successObjective"`
	WindowMs         float64  `json:"windowMs"`
	MinRequests      int      `json:"minRequests"`
	DownBelow        float64  `json:"downBelow"`
}

// Weights are the availability composite's weights.
type Weights struct {
	Health       float64 `json:"health"`
	Latency      float64 `json:"latency"`
	Success      float64 `json:"success"`
	Dependencies float64 `json:"dependencies"`
}

// Load reads the normalized contract JSON (`sloctl generate contract slo.yaml -o slo.json`).
// Embed it with //go:embed and pass the bytes, or use LoadFile / LoadEnv.
func Load(data []byte) (*Contract, error) {
	return load(data, "the contract JSON")
}

// LoadFile reads the normalized contract JSON from a file.
func LoadFile(path string) (*Contract, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sloctl: cannot read the contract JSON %s: %w (write it with `sloctl generate contract slo.yaml -o %s`)", path, err, path)
	}
	return load(data, path)
}

// LoadEnv reads the contract JSON from the file named by $SLOCTL_CONTRACT.
func LoadEnv() (*Contract, error) {
	path := os.Getenv(EnvContract)
	if path == "" {
		return nil, fmt.Errorf("sloctl: %s is not set: set it to the file `sloctl generate contract slo.yaml -o slo.json` wrote", EnvContract)
	}
	return LoadFile(path)
}

func load(data []byte, where string) (*Contract, error) {
	var c Contract
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("sloctl: %s is not contract JSON: %v (write it with `sloctl generate contract slo.yaml`; slo.yaml itself is not read here)", where, err)
	}
	if c.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("sloctl: %s has schemaVersion %d, this package reads %d: regenerate it with the sloctl this package came with (`sloctl generate contract slo.yaml`)", where, c.SchemaVersion, SchemaVersion)
	}
	if len(c.BucketsMs) == 0 {
		return nil, fmt.Errorf("sloctl: %s has no bucketsMs: regenerate it with `sloctl generate contract slo.yaml`", where)
	}
	for role, name := range c.MetricNames {
		if want, ok := metricNames[role]; ok && want != name {
			return nil, fmt.Errorf("sloctl: %s names the %s metric %q, this package exports %q: use the sloctl and the Go package of the same release", where, role, name, want)
		}
	}
	if c.Paths.Health == "" {
		c.Paths.Health = "/healthz"
	}
	if c.Paths.Metrics == "" {
		c.Paths.Metrics = "/metrics"
	}
	if c.Health.WindowMs <= 0 {
		c.Health.WindowMs = 30000
	}
	if c.Health.MinRequests <= 0 {
		c.Health.MinRequests = 20
	}
	return &c, nil
}
