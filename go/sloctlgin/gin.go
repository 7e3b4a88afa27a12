// Package sloctlgin connects the sloctl SDK to gin: r.Use(sloctlgin.Middleware(sdk)) first.
// The route label is gin's c.FullPath() (the template, /products/:id), "unmatched" when no route
// matched; errors are the ones handlers attach with c.Error(err) (the last one) or report with
// sloctl.Fail(c.Request, err); a panic is recorded and passed on to gin's Recovery.
package sloctlgin

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/sloctl/sloctl-go/sloctl"
)

// Middleware times every request, serves the contract's health and metrics paths.
func Middleware(s *sloctl.SDK) gin.HandlerFunc {
	return func(c *gin.Context) {
		if s.ServeEndpoint(c.Writer, c.Request) {
			c.Abort()
			return
		}
		t, r := s.Start(c.Request)
		c.Request = r
		defer func() {
			if p := recover(); p != nil {
				if p != http.ErrAbortHandler {
					t.Fail(&sloctl.PanicError{Value: p})
				}
				// gin's Recovery (installed before this middleware) answers 500.
				status := c.Writer.Status()
				if !c.Writer.Written() {
					status = http.StatusInternalServerError
				}
				t.Finish(c.FullPath(), status, p == http.ErrAbortHandler || sloctl.Aborted(r.Context()))
				panic(p)
			}
			if last := c.Errors.Last(); last != nil {
				t.Fail(last.Err)
			}
			t.Finish(c.FullPath(), c.Writer.Status(), sloctl.Aborted(r.Context()))
		}()
		c.Next()
	}
}
