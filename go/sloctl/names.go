package sloctl

// The series the Node SDK exports (src/contract/metric-names.ts HTTP_ROLES): the same names,
// help texts and labels, so the rules, dashboards and the gate read a Go service exactly as
// they read a Node one.
const (
	RequestDurationName  = "http_server_request_duration_seconds"
	RequestsName         = "http_server_requests_total"
	WeightedRequestsName = "sloctl_weighted_requests_total"
	InFlightName         = "http_server_active_requests"
	ErrorClassWeightName = "sloctl_error_class_weight"
	AvailabilityName     = "sloctl_availability"
	DependencyUpName     = "sloctl_dependency_up"
)

var metricNames = map[string]string{
	"requestDuration":  RequestDurationName,
	"requests":         RequestsName,
	"weightedRequests": WeightedRequestsName,
	"inFlight":         InFlightName,
	"errorClassWeight": ErrorClassWeightName,
	"availability":     AvailabilityName,
	"dependencyUp":     DependencyUpName,
}

const (
	helpRequestDuration  = "Request latency in seconds, by method, route template, status class and SLI class."
	helpRequests         = `Finished requests by method, route template, status class and error class ("none" when good).`
	helpWeightedRequests = "Finished requests, each counted with its route's business weight from the contract."
	helpInFlight         = "Requests accepted and not yet finished."
	helpErrorClassWeight = "The weight the contract gives each error class."
	helpAvailability     = "The composite availability (0..1) the health endpoint reports."
	helpDependencyUp     = "1 when a declared dependency is usable (breaker closed, check passing), 0 when not; no series until a breaker or check reports it."
)

// Label values with a fixed, small domain (src/sdk/core/labels.ts).
var methods = [...]string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}

const methodOther = 7

func methodIndex(m string) int {
	switch m {
	case "GET":
		return 0
	case "HEAD":
		return 1
	case "POST":
		return 2
	case "PUT":
		return 3
	case "PATCH":
		return 4
	case "DELETE":
		return 5
	case "OPTIONS":
		return 6
	}
	return methodOther
}

var statusClasses = [...]string{"1xx", "2xx", "3xx", "4xx", "5xx", "other", "aborted"}

const (
	statusOther   = 5
	statusAborted = 6
)

func statusClassIndex(status int) int {
	if status >= 100 && status <= 599 {
		return status/100 - 1
	}
	return statusOther
}
