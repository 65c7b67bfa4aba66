package web

import (
	"net/http"
	"slices"

	"github.com/zhkhgate/zhkhgate/internal/apperr"
)

// Permission is something a staff role may do in the console.
type Permission string

// The console's permissions, enforced in staffFor and requireStaff, the console's two doors,
// from the route's pattern and method.
const (
	// PermView reads every console page and River UI, and logs out.
	PermView Permission = "view"
	// PermRegistries uploads bank registries and statements and re-reads a rejected registry.
	PermRegistries Permission = "registries"
	// PermQuarantine decides on quarantined registry lines (apply to an account, discard).
	PermQuarantine Permission = "quarantine"
	// PermGISRetry re-plans a stopped GIS ZhKH message as a new sync of the same subject, and
	// releases held items (one, or a message's items of an error class).
	PermGISRetry Permission = "gis.retry"
	// PermGISSync starts any GIS ZhKH exchange (subject, organization, period) from the console.
	PermGISSync Permission = "gis.sync"
	// PermJobsWrite changes jobs and queues in River UI (cancel, delete, retry, pause).
	PermJobsWrite Permission = "jobs.write"
	// PermStaff lists and manages staff users: create, change role, reset password, block.
	PermStaff Permission = "staff"
	// PermRequests handles residents' requests: assign, change state, answer.
	PermRequests Permission = "requests"
	// PermNotify posts a notice to the residents of a house or an organization.
	PermNotify Permission = "notify"
	// PermNotifyAll posts a notice to every resident at once.
	PermNotifyAll Permission = "notify.all"
)

// rolePermissions is the one table of what each role may do.
var rolePermissions = map[string][]Permission{
	"admin":    {PermView, PermRegistries, PermQuarantine, PermGISRetry, PermGISSync, PermJobsWrite, PermStaff, PermRequests, PermNotify, PermNotifyAll},
	"operator": {PermView, PermRegistries, PermQuarantine, PermGISRetry, PermRequests, PermNotify},
}

// routePermissions names the permission of every state-changing console route, by its
// ServeMux pattern. Reading routes (GET, HEAD) need PermView; a state-changing route missing
// here is refused to everyone, so a new one must be declared.
var routePermissions = map[string]Permission{
	"POST /admin/logout":                         PermView,
	"POST /admin/registries/upload":              PermRegistries,
	"POST /admin/registries/statements":          PermRegistries,
	"POST /admin/registries/{id}/reprocess":      PermRegistries,
	"POST /admin/registries/issues/{id}/apply":   PermQuarantine,
	"POST /admin/registries/issues/{id}/discard": PermQuarantine,
	"POST /admin/gis/messages/{id}/retry":        PermGISRetry,
	"POST /admin/gis/sync":                       PermGISSync,
	"POST /admin/requests/{id}/assign":           PermRequests,
	"POST /admin/requests/{id}/update":           PermRequests,
	"POST /admin/notifications":                  PermNotify,
	"POST /admin/gis/items/{guid}/release":       PermGISRetry,
	"POST /admin/gis/messages/{id}/release":      PermGISRetry,
	"POST /admin/staff":                          PermStaff,
	"POST /admin/staff/{id}/role":                PermStaff,
	"POST /admin/staff/{id}/password":            PermStaff,
	"POST /admin/staff/{id}/block":               PermStaff,
}

// readPermissions names reading routes that need more than PermView.
var readPermissions = map[string]Permission{
	"GET /admin/staff": PermStaff,
}

// may tells whether role holds p.
func may(role string, p Permission) bool {
	return slices.Contains(rolePermissions[role], p)
}

// permissionOf is the permission a console request needs.
func permissionOf(r *http.Request) (Permission, bool) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		if p, ok := readPermissions[r.Pattern]; ok {
			return p, true
		}
		return PermView, true
	}
	p, ok := routePermissions[r.Pattern]
	return p, ok
}

// riverUIPermission is what a River UI request needs: reading is viewing, anything else writes.
func riverUIPermission(r *http.Request) Permission {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return PermView
	}
	return PermJobsWrite
}

func errForbidden(role string) error {
	return apperr.E(apperr.Permission, "console", "вашей роли («"+ruLabel(role)+"») это не разрешено; обратитесь к администратору")
}
