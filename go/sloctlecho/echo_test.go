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
