package web

import "github.com/gin-gonic/gin"

// registerPages adds the HTML pages.
func (s *Server) registerPages(r *gin.Engine) {}
