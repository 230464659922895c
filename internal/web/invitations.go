package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/clinic"
)

// invitationPage shows an invitation: the clinic and the role, and
//   - for a new email, the form to choose a name and password;
//   - for an email that already has a Mend account, a link to sign in
//     (through the normal sign-in, with its throttle and two-factor) that
//     comes back here, then an Accept button once signed in as that
//     account, or an explanation when signed in as someone else.
//
// Invalid, expired, used or revoked links get a plain explanation.
func (s *Server) invitationPage(c echo.Context) error {
	info, err := s.Clinic.InvitationByToken(c.Request().Context(), c.Param("token"))
	if err != nil {
		return s.invitationProblem(c, err)
	}
	return s.render(c, http.StatusOK, "invitation", page{Title: "Join " + info.ClinicName,
		Form: map[string]string{"name": info.Name}, Data: invitationData(c, info)})
}

// invitationData describes the page's state: State is "new" (choose a
// password), "signin" (an existing account, not signed in), "accept"
// (signed in as the invited account) or "other" (signed in as someone else).
func invitationData(c echo.Context, info clinic.InvitationInfo) invitationView {
	path := "/invitations/" + c.Param("token")
	d := invitationView{Info: info, Action: path, State: "new",
		LoginURL: "/login?next=" + url.QueryEscape(path), Back: path}
	if info.HasAccount {
		a, ok := actorOf(c)
		switch {
		case !ok:
			d.State = "signin"
		case a.UserID == info.AccountID:
			d.State = "accept"
		default:
			d.State = "other"
			d.SignedInAs = a.Email
		}
	}
	return d
}

// invitationView is the invitation page's model.
type invitationView struct {
	Info       clinic.InvitationInfo
	Action     string // where the form posts
	State      string // new, signin, accept or other (see invitationData)
	LoginURL   string // sign in, then come back here
	Back       string
	SignedInAs string // the other account's address, in state "other"
}

// messageView is the model of the pages that only say why a link cannot
// be used (invitation_invalid, password_reset_invalid).
type messageView struct{ Message string }

// invitationProblem renders the "this link cannot be used" page for 404
// and 410 answers, and passes other errors on.
func (s *Server) invitationProblem(c echo.Context, err error) error {
	ae, ok := apperr.As(err)
	if !ok || (ae.Code != apperr.Gone && ae.Code != apperr.NotFound) {
		return err
	}
	status := statusOf[ae.Code]
	return s.render(c, status, "invitation_invalid", page{Title: "Invitation cannot be used", Data: messageView{Message: ae.Message}})
}

func (s *Server) acceptInvitation(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.Param("token")
	in := clinic.Acceptance{Name: c.FormValue("name"), Password: c.FormValue("password"), Confirm: c.FormValue("confirm")}
	info, err := s.Clinic.InvitationByToken(ctx, token)
	if err != nil {
		return s.invitationProblem(c, err)
	}
	in.RequireConfirm = !info.HasAccount
	a, signedIn := actorOf(c)
	if signedIn {
		in.SignedIn = a.UserID
	}
	base := baseActor(c)
	u, err := s.Clinic.Accept(ctx, base, token, in)
	if ae, ok := apperr.As(err); ok && (ae.Code == apperr.Invalid || ae.Code == apperr.Conflict) {
		// Field errors, or an existing account accepted without being
		// signed in as it (the account may have been created since the
		// page was shown): the page again, in its current state.
		if errors.Is(err, clinic.ErrSignInToAccept) || errors.Is(err, clinic.ErrOtherAccount) {
			if info, err = s.Clinic.InvitationByToken(ctx, token); err != nil {
				return s.invitationProblem(c, err)
			}
		}
		return s.render(c, statusOf[ae.Code], "invitation", page{Title: "Join " + info.ClinicName,
			Form: map[string]string{"name": in.Name}, Errors: ae.Fields, Error: ae.Message, Data: invitationData(c, info)})
	}
	if err != nil {
		return s.invitationProblem(c, err)
	}
	if info.HasAccount {
		// Already signed in as this account: the session stays (with a new
		// id, as its rights grew), and moves to the clinic that invited them.
		if err := s.sessions.RenewToken(ctx); err != nil {
			return err
		}
		s.sessions.Put(ctx, "clinic_id", info.ClinicID)
		s.flash(c, "You joined "+info.ClinicName+".")
		return c.Redirect(http.StatusSeeOther, "/")
	}
	ms, _, err := s.afterLogin(ctx, c, u, viaInvite)
	if err != nil {
		return err
	}
	if err := s.signIn(c, u, ms); err != nil {
		return err
	}
	s.sessions.Put(ctx, "clinic_id", info.ClinicID) // land in the clinic that invited them
	s.flash(c, "Welcome to "+info.ClinicName+". Your account is ready.")
	return c.Redirect(http.StatusSeeOther, "/")
}

// apiAcceptInvitation accepts an invitation. A new email chooses its name
// and password and gets a token (the login body). An email that already
// has an account accepts only with that account's bearer token (409
// otherwise; no password is checked here): the answer is the user and its
// memberships, without a new token.
func (s *Server) apiAcceptInvitation(c echo.Context) error {
	var in struct {
		Name     string `json:"name"`
		Password string `json:"password"`
	}
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	acc := clinic.Acceptance{Name: in.Name, Password: in.Password}
	a, signedIn := actorOf(c)
	if signedIn {
		acc.SignedIn = a.UserID
	}
	u, err := s.Clinic.Accept(ctx, baseActor(c), c.Param("token"), acc)
	switch {
	case errors.Is(err, clinic.ErrSignInToAccept):
		return &apperr.Error{Code: apperr.Conflict, Data: clinic.ErrSignInToAccept.Data,
			Message: "This invitation is for an existing Mend account. Sign in as that account (POST /api/v1/auth/login, with its two-factor code if it has one) and send this request again with its bearer token."}
	case errors.Is(err, clinic.ErrOtherAccount):
		return &apperr.Error{Code: apperr.Conflict, Data: clinic.ErrOtherAccount.Data,
			Message: "This invitation is for a different Mend account than the bearer token's. Send the request with the invited account's token."}
	case err != nil:
		return err
	}
	if signedIn && u.ID == a.UserID {
		ms, err := s.Accounts.Memberships(ctx, u.ID)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, loginBody{User: u, Memberships: ms})
	}
	return s.issueToken(c, u, viaInvite)
}
