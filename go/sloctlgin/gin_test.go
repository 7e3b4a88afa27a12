package sloctlgin

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/sloctl/sloctl-go/sloctl"
)

type DeadlockError struct{}

func (DeadlockError) Error() string { return "deadlock" }

func TestGin(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	c, err := sloctl.LoadFile("../sloctl/testdata/contract.json")
	if err != nil {
		t.Fatal(err)
	}
	sdk, err := sloctl.New(c, sloctl.Options{NoRuntimeCollectors: true})
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(gin.CustomRecovery(func(c *gin.Context, _ interface{}) { c.AbortWithStatus(500) }), Middleware(sdk))
	r.GET("/products/:id", func(c *gin.Context) { c.String(200, "ok") })
	r.POST("/orders", func(c *gin.Context) {
		_ = c.Error(DeadlockError{})
		c.Status(500)
	})
	r.GET("/boom", func(c *gin.Context) { panic(errors.New("a bug")) })
	for _, p := range []struct{ method, path string }{{"GET", "/products/3"}, {"POST", "/orders"}, {"GET", "/nope/1"}, {"GET", "/boom"}} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(p.method, p.path, nil))
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("/metrics answered %d (gin presets 404 for a path no route matched)", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		`http_server_requests_total{error_class="none",method="GET",route="/products/:id",status_class="2xx"} 1`,
		`http_server_requests_total{error_class="server",method="POST",route="/orders",status_class="5xx"} 1`,
		`http_server_requests_total{error_class="client",method="GET",route="unmatched",status_class="4xx"} 1`,
		`http_server_requests_total{error_class="server",method="GET",route="/boom",status_class="5xx"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s in\n%s", want, grep(body, "http_server_requests_total"))
		}
	}
	if rec := httptest.NewRecorder(); true {
		r.ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"status":"UP"`) {
			t.Errorf("health: %d %s", rec.Code, rec.Body.String())
		}
	}
}

func grep(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
