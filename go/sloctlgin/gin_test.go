package sloctlgin

import (
	"errors"
	"fmt"
	"io"
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

// An error a handler attaches with c.Error and then answers 200 (a fallback) is gin's idiom for an
// error recovered from and logged: the client counts the 200 good, and so must the service's
// counter and health, or the errors SLO pages while every user got an answer. sloctl.Fail is the
// explicit report and still counts on a 200; an error answer still counts the attached error.
func TestGinErrorOnSuccessIsNotAFailure(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	c, err := sloctl.LoadFile("../sloctl/testdata/contract.json")
	if err != nil {
		t.Fatal(err)
	}
	sdk, err := sloctl.New(c, sloctl.Options{NoRuntimeCollectors: true})
	if err != nil {
		t.Fatal(err)
	}
	payments := func() error { return fmt.Errorf("quote: %w", &PaymentsUnavailableError{}) }
	r := gin.New()
	r.Use(Middleware(sdk))
	r.GET("/products/:id", func(c *gin.Context) {
		switch c.Query("q") {
		case "fallback":
			_ = c.Error(payments())
			c.JSON(200, gin.H{"price": 40, "fallback": true})
		case "fallback-nobody": // gin answers 200 after the chain
			_ = c.Error(payments())
		case "fail":
			sloctl.Fail(c.Request, payments())
			c.JSON(200, gin.H{"price": 40})
		case "error":
			_ = c.Error(payments())
			c.JSON(500, gin.H{"error": "payments down"})
		}
	})
	for _, q := range []string{"fallback", "fallback", "fallback-nobody", "fail", "error"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/products/1?q="+q, nil))
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := grep(rec.Body.String(), "http_server_requests_total{")
	for _, want := range []string{
		`http_server_requests_total{error_class="none",method="GET",route="/products/:id",status_class="2xx"} 3`,
		`http_server_requests_total{error_class="transient",method="GET",route="/products/:id",status_class="2xx"} 1`,
		`http_server_requests_total{error_class="transient",method="GET",route="/products/:id",status_class="5xx"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s in\n%s", want, body)
		}
	}
}

type PaymentsUnavailableError struct{}

func (*PaymentsUnavailableError) Error() string { return "payments down" }

// An error answer whose class came from the error attached before it went out (the contract
// classes *PaymentsUnavailableError transient, a 500 alone is server) carries
// sloctl.ErrorClassHeader on the wire, as sdk.Middleware's do, whichever way gin handlers attach it.
func TestGinErrorClassMark(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	c, err := sloctl.LoadFile("../sloctl/testdata/contract.json")
	if err != nil {
		t.Fatal(err)
	}
	sdk, err := sloctl.New(c, sloctl.Options{NoRuntimeCollectors: true})
	if err != nil {
		t.Fatal(err)
	}
	payments := func() error { return fmt.Errorf("charge: %w", &PaymentsUnavailableError{}) }
	var outer struct {
		written bool
		status  int
	}
	r := gin.New()
	r.Use(func(c *gin.Context) { // what a middleware outside sloctl's sees once the chain returns
		c.Next()
		outer.written, outer.status = c.Writer.Written(), c.Writer.Status()
	}, Middleware(sdk))
	r.GET("/orders", func(c *gin.Context) {
		switch c.Query("fail") {
		case "abort": // gin writes the status, then attaches the error
			_ = c.AbortWithError(500, payments())
		case "abort-json": // the same, with a body after it
			_ = c.AbortWithError(500, payments())
			c.JSON(500, gin.H{"error": "payments down"})
		case "error-json":
			_ = c.Error(payments())
			c.JSON(500, gin.H{"error": "payments down"})
		case "error-status": // no body: gin writes the status after the chain returns
			_ = c.Error(payments())
			c.Status(500)
		case "fail":
			sloctl.Fail(c.Request, payments())
			c.String(500, "payments down")
		case "abort-then-200": // the status gin sent stays the one sent
			_ = c.AbortWithError(500, payments())
			c.JSON(200, gin.H{"ok": true})
		case "deadlock": // server by name and by status: nothing to mark
			_ = c.AbortWithError(500, DeadlockError{})
		case "503": // transient by status too: nothing to mark
			_ = c.AbortWithError(503, payments())
		case "late": // attached after the body went out: too late to mark
			c.JSON(500, gin.H{"error": "payments down"})
			_ = c.Error(payments())
		case "ok": // an error on a success is no mark
			_ = c.Error(payments())
			c.String(200, "ok")
		}
	})
	srv := httptest.NewServer(r)
	defer srv.Close()
	for _, tc := range []struct {
		q      string
		status int
		mark   string
		body   string
	}{
		{"abort", 500, "transient", ""},
		{"abort-json", 500, "transient", `{"error":"payments down"}`},
		{"error-json", 500, "transient", `{"error":"payments down"}`},
		{"error-status", 500, "transient", ""},
		{"fail", 500, "transient", "payments down"},
		{"abort-then-200", 500, "transient", `{"ok":true}`},
		{"deadlock", 500, "", ""},
		{"503", 503, "", ""},
		{"late", 500, "", `{"error":"payments down"}`},
		{"ok", 200, "", "ok"},
	} {
		res, err := http.Get(srv.URL + "/orders?fail=" + tc.q)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if got := res.Header.Get(sloctl.ErrorClassHeader); res.StatusCode != tc.status || got != tc.mark || string(b) != tc.body {
			t.Errorf("%s: %d, %s %q, body %q; want %d, %q, %q", tc.q, res.StatusCode, sloctl.ErrorClassHeader, got, b, tc.status, tc.mark, tc.body)
		}
		// gin writes a status set with c.Status and no body after the whole chain: not written yet
		if wantWritten := tc.q != "error-status"; outer.written != wantWritten || outer.status != tc.status {
			t.Errorf("%s: the middleware outside saw written %v, status %d; want %v, %d", tc.q, outer.written, outer.status, wantWritten, tc.status)
		}
	}
}
