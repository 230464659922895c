package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/clinic"
	"github.com/mend-clinic/mend/internal/measure"
)

func init() {
	extraNav = append(extraNav,
		struct{ role, label, href string }{actor.RoleAdmin, "Couples", "/admin/couples"},
		struct{ role, label, href string }{actor.RoleAdmin, "Counselors", "/admin/counselors"},
		struct{ role, label, href string }{actor.RoleAdmin, "Caseloads", "/admin/caseloads"},
		struct{ role, label, href string }{actor.RoleCounselor, "My caseload", "/caseload"},
	)
}

// linkView is a fresh invitation link shown once to the admin after it is
// issued (kept in the session until the next page view, never logged).
type linkView struct {
	Name      string    `json:"n"`
	Email     string    `json:"e"`
	URL       string    `json:"u"`
	ExpiresAt time.Time `json:"x"`
	Reset     bool      `json:"r,omitempty"` // a password-reset link, not an invitation
}

func (s *Server) keepLinks(c echo.Context, key string, invs ...clinic.Invitation) {
	var ls []linkView
	for _, inv := range invs {
		ls = append(ls, linkView{Name: inv.Name, Email: inv.Email, URL: s.invitationURL(inv.Token), ExpiresAt: inv.ExpiresAt})
	}
	b, _ := json.Marshal(ls)
	s.sessions.Put(c.Request().Context(), "links:"+key, string(b))
}

// resetIssued tells the admin a reset link was issued. With mail it went
// only to the person; without, it is kept for the next page view to copy.
func (s *Server) resetIssued(c echo.Context, key string, r clinic.PasswordReset) {
	if s.Config.MailDelivered() {
		s.flash(c, "A password-reset link was mailed to "+r.Name+" ("+r.Email+"); any earlier one no longer works. "+
			"Two-factor sign-in, if they use it, stays on.")
		return
	}
	b, _ := json.Marshal([]linkView{{Name: r.Name, Email: r.Email, URL: s.resetURL(r.Token), ExpiresAt: r.ExpiresAt, Reset: true}})
	s.sessions.Put(c.Request().Context(), "links:"+key, string(b))
	s.flash(c, "A password-reset link was issued for "+r.Name+"; any earlier one no longer works. Two-factor sign-in, if they use it, stays on.")
}

// linksSent says how an invitation reaches its people: mailed when mail
// leaves the machine (the link below is still there to copy), otherwise
// only by copying it.
func (s *Server) linksSent(who string) string {
	if s.Config.MailDelivered() {
		return who + " has been sent their invitation by mail; the link is below too, to copy if you prefer."
	}
	return "Mail is not set up (MEND_SMTP_URL), so nothing was sent: copy the link below and send it yourself."
}

func (s *Server) popLinks(c echo.Context, key string) []linkView {
	var ls []linkView
	if v := s.sessions.PopString(c.Request().Context(), "links:"+key); v != "" {
		json.Unmarshal([]byte(v), &ls)
	}
	return ls
}

// formError renders a page again after a failed POST: field errors at 422,
// other domain errors (409 and the like) as a message at their status.
// Errors that are not the user's to fix are passed on.
func (s *Server) formError(c echo.Context, err error, name string, p page, reload func() (any, error)) error {
	ae, ok := apperr.As(err)
	if !ok || (ae.Code != apperr.Invalid && ae.Code != apperr.Conflict) {
		return err
	}
	p.Errors, p.Error = ae.Fields, ae.Message
	if reload != nil {
		d, err := reload()
		if err != nil {
			return err
		}
		p.Data = d
	}
	return s.render(c, statusOf[ae.Code], name, p)
}

// formValues keeps what was typed.
func formValues(c echo.Context, names ...string) map[string]string {
	m := map[string]string{}
	for _, n := range names {
		m[n] = c.FormValue(n)
	}
	return m
}

// ----- couples

func (s *Server) couplesPage(c echo.Context) error {
	ctx, a := c.Request().Context(), mustActor(c)
	f, err := coupleFilter(c)
	if err != nil {
		return err
	}
	p, err := s.Clinic.ListCouples(ctx, a, f)
	if err != nil {
		return err
	}
	cs, err := s.Clinic.Counselors(ctx, a)
	if err != nil {
		return err
	}
	form := map[string]string{"q": f.Q, "status": f.Status, "counselor_id": c.QueryParam("counselor_id")}
	var next string
	if p.Next != "" {
		q := url.Values{}
		for k, v := range form {
			if v != "" {
				q.Set(k, v)
			}
		}
		if l := c.QueryParam("limit"); l != "" {
			q.Set("limit", l)
		}
		q.Set("after", p.Next)
		next = "/admin/couples?" + q.Encode()
	}
	var first string
	if f.After != "" {
		q := url.Values{}
		for k, v := range form {
			if v != "" {
				q.Set(k, v)
			}
		}
		first = "/admin/couples?" + q.Encode()
	}
	return s.render(c, http.StatusOK, "admin_couples", page{Title: "Couples", Form: form, Data: couplesView{
		Items: p.Items, Next: next, First: first, Counselors: cs, Statuses: clinic.Statuses,
		Filtered: f.Q != "" || f.Status != "" || f.CounselorID != 0}})
}

// couplesView is the couples list's model.
type couplesView struct {
	Items       []clinic.Couple
	Next, First string // the next and the first page's URLs ("" when none)
	Counselors  []clinic.Counselor
	Statuses    []string
	Filtered    bool
}

// counselorsChoice is the model of a page that only needs the counselors
// to choose from (the new-couple form).
type counselorsChoice struct {
	Counselors []clinic.Counselor
	// EmailInUse: the new couple form's partners whose email another
	// couple's partner has (the admin confirms or corrects).
	EmailInUse []clinic.EmailInUse
}

func (s *Server) activeCounselors(c echo.Context) ([]clinic.Counselor, error) {
	cs, err := s.Clinic.Counselors(c.Request().Context(), mustActor(c))
	var out []clinic.Counselor
	for _, x := range cs {
		if x.Status == "active" {
			out = append(out, x)
		}
	}
	return out, err
}

var coupleFormFields = []string{"label", "counselor_id", "p0_name", "p0_email", "p1_name", "p1_email", "email_reuse_ok"}

func (s *Server) newCouplePage(c echo.Context) error {
	cs, err := s.activeCounselors(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_couple_new", page{Title: "New couple", Data: counselorsChoice{Counselors: cs}})
}

func (s *Server) createCouple(c echo.Context) error {
	form := formValues(c, coupleFormFields...)
	cid, _ := strconv.ParseInt(form["counselor_id"], 10, 64)
	in := clinic.NewCouple{Label: form["label"], CounselorID: cid, Partners: []clinic.NewPartner{
		{Name: form["p0_name"], Email: form["p0_email"]}, {Name: form["p1_name"], Email: form["p1_email"]}},
		EmailReuseOK: form["email_reuse_ok"] == "1"}
	cp, invs, err := s.Clinic.CreateCouple(c.Request().Context(), mustActor(c), in)
	if err != nil {
		var inUse []clinic.EmailInUse
		if ae, ok := apperr.As(err); ok && ae.Fields != nil {
			inUse, _ = ae.Data["existing"].([]clinic.EmailInUse)
			f := map[string]string{}
			for k, v := range ae.Fields {
				f[strings.NewReplacer("partners.", "p", ".", "_").Replace(k)] = v
			}
			ae = &apperr.Error{Code: ae.Code, Message: ae.Message, Fields: f}
			err = ae
		}
		return s.formError(c, err, "admin_couple_new", page{Title: "New couple", Form: form}, func() (any, error) {
			cs, err := s.activeCounselors(c)
			return counselorsChoice{Counselors: cs, EmailInUse: inUse}, err
		})
	}
	s.keepLinks(c, "couple:"+itoa(cp.ID), invs...)
	s.flash(c, "Couple created. "+s.linksSent("Each partner")+" Each link works once, for 7 days.")
	return c.Redirect(http.StatusSeeOther, "/couples/"+itoa(cp.ID))
}

// coupleView is the couple page's model. Counselors, CurrentActive and
// SelfCounselor are filled for an admin only; Links and MailDelivered when
// the page is shown after a GET.
type coupleView struct {
	Couple        clinic.Couple
	Admin         bool
	OwnCounselor  bool // the viewer is the couple's counselor
	Statuses      []string
	Work          []assignment.Summary // statuses, dates and counts only
	Overdue       int
	Sessions      coupleSessionsView
	Measures      measure.View
	Counselors    []clinic.Counselor
	CurrentActive bool // the couple's counselor is an active one
	SelfCounselor bool // the admin counsels too and may take the couple over
	Links         []linkView
	MailDelivered bool
}

func (s *Server) coupleData(c echo.Context, id int64) (coupleView, error) {
	a := mustActor(c)
	cp, err := s.Clinic.Couple(c.Request().Context(), a, id)
	if err != nil {
		return coupleView{}, err
	}
	d := coupleView{Couple: cp, Admin: a.Has(actor.RoleAdmin), Statuses: clinic.Statuses,
		OwnCounselor: a.Has(actor.RoleCounselor) && cp.CounselorID == a.UserID}
	// The timeline: statuses, dates and counts only (no content), so the
	// same list serves the counselor and the admin.
	work, err := s.Assignments.List(c.Request().Context(), a, assignment.ListFilter{CoupleID: id, Limit: 200})
	if err != nil {
		return coupleView{}, err
	}
	d.Work = work
	overdue := 0
	for _, w := range work {
		if w.Status == assignment.StatusActive {
			overdue += w.OverdueN
		}
	}
	d.Overdue = overdue
	if d.Sessions, err = s.coupleSessions(c, id); err != nil {
		return coupleView{}, err
	}
	// Outcome measures: the counselor's charts (an audited read), an admin's counts.
	if d.Measures, err = s.Measures.ForCouple(c.Request().Context(), a, id, ""); err != nil {
		return coupleView{}, err
	}
	if a.Has(actor.RoleAdmin) {
		cs, err := s.activeCounselors(c)
		if err != nil {
			return coupleView{}, err
		}
		d.Counselors = cs
		current, self := false, false
		for _, x := range cs {
			current = current || x.ID == cp.CounselorID
			self = self || x.ID == a.UserID
		}
		d.CurrentActive = current
		// An admin who also counsels may take the couple over, with a reason.
		d.SelfCounselor = self && cp.CounselorID != a.UserID
	}
	return d, nil
}

func (s *Server) couplePage(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.coupleData(c, id)
	if err != nil {
		return err
	}
	d.Links = s.popLinks(c, "couple:"+itoa(id))
	d.MailDelivered = s.Config.MailDelivered()
	cp := d.Couple
	return s.render(c, http.StatusOK, "admin_couple", page{Title: cp.Label, Data: d,
		Form: map[string]string{"label": cp.Label, "counselor_id": itoa(cp.CounselorID)}})
}

func (s *Server) updateCouple(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var p clinic.CouplePatch
	form := map[string]string{}
	if l := c.FormValue("label"); c.Request().PostForm.Has("label") {
		p.Label, form["label"] = &l, l
	}
	if v := c.FormValue("counselor_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			n = -1
		}
		p.CounselorID, form["counselor_id"] = &n, v
	}
	if v := c.FormValue("status"); v != "" {
		p.Status = &v
	}
	if c.Request().PostForm.Has("reason") {
		r := c.FormValue("reason")
		p.Reason, form["reason"] = &r, r
	}
	cp, err := s.Clinic.UpdateCouple(c.Request().Context(), mustActor(c), id, p)
	if err != nil {
		return s.formError(c, err, "admin_couple", page{Title: "Couple", Form: form}, func() (any, error) {
			d, err := s.coupleData(c, id)
			if err == nil {
				if form["label"] == "" {
					form["label"] = d.Couple.Label
				}
				if form["counselor_id"] == "" {
					form["counselor_id"] = itoa(d.Couple.CounselorID)
				}
			}
			return d, err
		})
	}
	if p.CounselorID != nil && cp.CounselorID == mustActor(c).UserID && p.Reason != nil {
		s.flash(c, "You took over "+cp.Label+". Every admin and the previous counselor are told, with your reason.")
	} else {
		s.flash(c, "Saved: "+cp.Label+" is "+cp.Status+", with "+cp.CounselorName+".")
	}
	return c.Redirect(http.StatusSeeOther, "/couples/"+itoa(id))
}

func (s *Server) reissuePartner(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	pid, err := pathID(c, "partner_id")
	if err != nil {
		return err
	}
	inv, err := s.Clinic.ReissuePartner(c.Request().Context(), mustActor(c), id, pid)
	if err != nil {
		return s.formError(c, err, "admin_couple", page{Title: "Couple"}, func() (any, error) { return s.coupleData(c, id) })
	}
	s.keepLinks(c, "couple:"+itoa(id), inv)
	s.flash(c, "A new invitation link was issued; the earlier one no longer works. "+s.linksSent(inv.Name))
	return c.Redirect(http.StatusSeeOther, "/couples/"+itoa(id))
}

// partnerPasswordReset issues a password-reset link for a partner who has
// joined, shown once on the couple's page (and mailed).
func (s *Server) partnerPasswordReset(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	pid, err := pathID(c, "partner_id")
	if err != nil {
		return err
	}
	r, err := s.Clinic.IssuePartnerReset(c.Request().Context(), mustActor(c), id, pid)
	if err != nil {
		return s.formError(c, err, "admin_couple", page{Title: "Couple"}, func() (any, error) { return s.coupleData(c, id) })
	}
	s.resetIssued(c, "couple:"+itoa(id), r)
	return c.Redirect(http.StatusSeeOther, "/couples/"+itoa(id))
}

// ----- counselors

// counselorsView is the counselors page's model; Links and MailDelivered
// are filled after a GET.
type counselorsView struct {
	Items         []clinic.Counselor
	Links         []linkView
	MailDelivered bool
}

func (s *Server) counselorsData(c echo.Context) (counselorsView, error) {
	cs, err := s.Clinic.Counselors(c.Request().Context(), mustActor(c))
	return counselorsView{Items: cs}, err
}

func (s *Server) counselorsPage(c echo.Context) error {
	d, err := s.counselorsData(c)
	if err != nil {
		return err
	}
	d.Links = s.popLinks(c, "counselors")
	d.MailDelivered = s.Config.MailDelivered()
	return s.render(c, http.StatusOK, "admin_counselors", page{Title: "Counselors", Data: d})
}

func (s *Server) inviteCounselor(c echo.Context) error {
	form := formValues(c, "name", "email")
	inv, err := s.Clinic.InviteCounselor(c.Request().Context(), mustActor(c), form["name"], form["email"])
	if err != nil {
		return s.formError(c, err, "admin_counselors", page{Title: "Counselors", Form: form}, func() (any, error) { return s.counselorsData(c) })
	}
	s.keepLinks(c, "counselors", inv)
	s.flash(c, "Invitation created for "+inv.Name+". "+s.linksSent(inv.Name)+" It works once, for 7 days.")
	return c.Redirect(http.StatusSeeOther, "/admin/counselors")
}

func (s *Server) setCounselorActive(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	active := c.FormValue("active") == "true"
	if err := s.Clinic.SetCounselorActive(c.Request().Context(), mustActor(c), id, active); err != nil {
		return s.formError(c, err, "admin_counselors", page{Title: "Counselors"}, func() (any, error) { return s.counselorsData(c) })
	}
	if active {
		s.flash(c, "The counselor was reactivated.")
	} else {
		s.flash(c, "The counselor was deactivated.")
	}
	return c.Redirect(http.StatusSeeOther, "/admin/counselors")
}

// counselorPasswordReset issues a password-reset link for a counselor,
// shown once on the counselors page (and mailed).
func (s *Server) counselorPasswordReset(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	r, err := s.Clinic.IssueCounselorReset(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return s.formError(c, err, "admin_counselors", page{Title: "Counselors"}, func() (any, error) { return s.counselorsData(c) })
	}
	s.resetIssued(c, "counselors", r)
	return c.Redirect(http.StatusSeeOther, "/admin/counselors")
}

func (s *Server) resendInvitation(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	inv, err := s.Clinic.Reissue(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return s.formError(c, err, "admin_counselors", page{Title: "Counselors"}, func() (any, error) { return s.counselorsData(c) })
	}
	s.flash(c, "A new invitation link was issued; the earlier one no longer works. "+s.linksSent(inv.Name))
	if inv.CoupleID != 0 {
		s.keepLinks(c, "couple:"+itoa(inv.CoupleID), inv)
		return c.Redirect(http.StatusSeeOther, "/couples/"+itoa(inv.CoupleID))
	}
	s.keepLinks(c, "counselors", inv)
	return c.Redirect(http.StatusSeeOther, "/admin/counselors")
}

func (s *Server) revokeInvitation(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Clinic.RevokeInvitation(c.Request().Context(), mustActor(c), id); err != nil {
		return s.formError(c, err, "admin_counselors", page{Title: "Counselors"}, func() (any, error) { return s.counselorsData(c) })
	}
	s.flash(c, "The invitation was revoked: its link no longer works.")
	back := c.FormValue("back")
	if !strings.HasPrefix(back, "/couples/") && !strings.HasPrefix(back, "/admin/") || strings.ContainsAny(back, "\\?#") {
		back = "/admin/counselors"
	}
	return c.Redirect(http.StatusSeeOther, back)
}

// ----- caseloads

func (s *Server) caseloadsPage(c echo.Context) error {
	cl, err := s.Clinic.AllCaseloads(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	sessions, err := s.Appointments.ClinicCounts(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_caseloads", page{Title: "Caseloads", Data: caseloadsWithSessions{cl, sessions}})
}

func (s *Server) caseloadPage(c echo.Context) error {
	cs, err := s.Clinic.Caseload(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	next, err := s.Appointments.NextByCouple(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	csi4, err := s.Measures.CaseloadCSI4(c.Request().Context(), mustActor(c))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "caseload", page{Title: "My caseload", Data: caseloadView{Items: cs, NextSession: next, CSI4: csi4}})
}

// caseloadView is a counselor's caseload page's model.
type caseloadView struct {
	Items       []clinic.CaseloadCouple
	NextSession map[int64]time.Time              // by couple
	CSI4        map[int64][]measure.CaseloadLine // by couple
}
