package sloctlecho

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/sloctl/sloctl-go/sloctl"
)

type PaymentsUnavailableError struct{}

func (PaymentsUnavailableError) Error() string { return "payments down" }

func TestEcho(t *testing.T) {
	c, err := sloctl.LoadFile("../sloctl/testdata/contract.json")
	if err != nil {
		t.Fatal(err)
	}
	sdk, err := sloctl.New(c, sloctl.Options{NoRuntimeCollectors: true})
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	e.Use(Middleware(sdk))
	e.GET("/products/:id", func(c echo.Context) error {
		if c.Param("id") == "0" {
			return echo.NewHTTPError(http.StatusNotFound, "no such product")
		}
		return c.String(200, "ok")
	})
	e.POST("/orders", func(c echo.Context) error {
		return fmt.Errorf("order: %w", PaymentsUnavailableError{})
	})
	for _, p := range []struct{ method, path string }{{"GET", "/products/3"}, {"GET", "/products/0"}, {"POST", "/orders"}, {"GET", "/nope/17"}} {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(p.method, p.path, nil))
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`http_server_requests_total{error_class="none",method="GET",route="/products/:id",status_class="2xx"} 1`,
		`http_server_requests_total{error_class="client",method="GET",route="/products/:id",status_class="4xx"} 1`,
		`http_server_requests_total{error_class="transient",method="POST",route="/orders",status_class="5xx"} 1`,
		`http_server_requests_total{error_class="client",method="GET",route="unmatched",status_class="4xx"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s in\n%s", want, body)
		}
	}
	if strings.Contains(body, `route="/nope/17"`) {
		t.Error("echo's raw 404 path became a route label")
	}
}

type DeadlockError struct{}

func (DeadlockError) Error() string { return "deadlock" }

// An error answer whose class came from its error (the contract classes PaymentsUnavailableError
// transient, a 500 alone is server) carries sloctl.ErrorClassHeader on the wire, as
// sdk.Middleware's do: for the error a handler returns, whatever status HTTPErrorHandler gives it.
func TestEchoErrorClassMark(t *testing.T) {
	c, err := sloctl.LoadFile("../sloctl/testdata/contract.json")
	if err != nil {
		t.Fatal(err)
	}
	sdk, err := sloctl.New(c, sloctl.Options{NoRuntimeCollectors: true})
	if err != nil {
		t.Fatal(err)
	}
	payments := fmt.Errorf("order: %w", PaymentsUnavailableError{})
	e := echo.New()
	e.Use(Middleware(sdk))
	e.GET("/orders", func(c echo.Context) error {
		switch c.QueryParam("fail") {
		case "return": // DefaultHTTPErrorHandler answers 500
			return payments
		case "http-error": // an *echo.HTTPError whose Internal is the error
			return echo.NewHTTPError(http.StatusInternalServerError, "payments down").SetInternal(payments)
		case "bad-gateway": // the handler's own status: transient by its error, server by 502
			return echo.NewHTTPError(http.StatusBadGateway).SetInternal(payments)
		case "fail": // reported, then answered by the handler
			sloctl.Fail(c.Request(), payments)
			return c.String(http.StatusInternalServerError, "payments down")
		case "deadlock": // server by name and by status: nothing to mark
			return DeadlockError{}
		case "503": // transient by status too: nothing to mark
			return echo.NewHTTPError(http.StatusServiceUnavailable).SetInternal(payments)
		case "late": // returned after the answer went out: too late to mark
			_ = c.String(http.StatusInternalServerError, "payments down")
			return payments
		case "ok": // an error on a success is no mark
			sloctl.Fail(c.Request(), payments)
			return c.String(http.StatusOK, "ok")
		}
		return nil
	})
	srv := httptest.NewServer(e)
	defer srv.Close()
	for _, tc := range []struct {
		q      string
		status int
		mark   string
	}{
		{"return", 500, "transient"},
		{"http-error", 500, "transient"},
		{"bad-gateway", 502, "transient"},
		{"fail", 500, "transient"},
		{"deadlock", 500, ""},
		{"503", 503, ""},
		{"late", 500, ""},
		{"ok", 200, ""},
	} {
		res, err := http.Get(srv.URL + "/orders?fail=" + tc.q)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get(sloctl.ErrorClassHeader); res.StatusCode != tc.status || got != tc.mark {
			t.Errorf("%s: %d, %s %q; want %d, %q", tc.q, res.StatusCode, sloctl.ErrorClassHeader, got, tc.status, tc.mark)
		}
	}
}
