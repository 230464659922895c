package web

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/assignment"
	"github.com/mend-clinic/mend/internal/exercise"
	"github.com/mend-clinic/mend/internal/tz"
)

func init() {
	extraNav = append(extraNav, struct{ role, label, href string }{actor.RoleCounselor, "Review", "/review"})
}

// ---- assigning ----

func (s *Server) assignPage(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	form := map[string]string{"template_id": c.QueryParam("template"), "repeat": "none"}
	for _, k := range []string{"mode", "repeat", "until", "due"} { // a schedule chosen on a measure's page
		if v := c.QueryParam(k); v != "" {
			form[k] = v
		}
	}
	return s.renderAssign(c, http.StatusOK, id, form, nil)
}

// assignFromTemplate opens the assign form for the couple chosen on a
// template's page, with the template preselected.
func (s *Server) assignFromTemplate(c echo.Context) error {
	couple, err := strconv.ParseInt(c.QueryParam("couple"), 10, 64)
	if err != nil || couple <= 0 {
		return apperr.New(apperr.BadRequest, "Choose a couple.")
	}
	tpl, _ := strconv.ParseInt(c.QueryParam("template"), 10, 64)
	q := url.Values{"template": {strconv.FormatInt(tpl, 10)}}
	for _, k := range []string{"mode", "repeat", "until", "due"} {
		if v := c.QueryParam(k); v != "" {
			q.Set(k, v)
		}
	}
	return c.Redirect(http.StatusSeeOther, "/couples/"+strconv.FormatInt(couple, 10)+"/assign?"+q.Encode())
}

func (s *Server) renderAssign(c echo.Context, status int, coupleID int64, form, errs map[string]string) error {
	opts, err := s.Assignments.Options(c.Request().Context(), mustActor(c), coupleID)
	if err != nil {
		return err
	}
	if form["reply_to"] != "" && form["mode"] == "" {
		form["mode"] = assignment.ModeIndividual
	}
	msg := ""
	if len(errs) > 0 {
		msg = "Please correct the highlighted fields."
	}
	data, err := s.assignFormData(c, opts)
	if err != nil {
		return err
	}
	// The form's dates and times are the clinic's: a due date is a day of
	// the couple's work, like the days of recurring work.
	return s.render(c, status, "assign", page{Title: "Assign an exercise", Form: form, Errors: errs, Error: msg, Data: data,
		Loc: mustActor(c).ClinicLoc()})
}

func (s *Server) assignSubmit(c echo.Context) error {
	coupleID, err := pathID(c, "id")
	if err != nil {
		return err
	}
	f := formValues(c, "template_id", "mode", "partner_id", "reveal", "due_date", "due_time", "instructions", "repeat", "until", "reply_to",
		"review_before_sharing", "duplicate_ok")
	errs := map[string]string{}
	in := assignment.NewAssignment{Mode: f["mode"], Instructions: f["instructions"], ReviewBeforeSharing: f["review_before_sharing"] == "1",
		DuplicateOK: f["duplicate_ok"] == "1"}
	in.TemplateID, _ = strconv.ParseInt(f["template_id"], 10, 64)
	in.PartnerID, _ = strconv.ParseInt(f["partner_id"], 10, 64)
	in.ReplyTo, _ = strconv.ParseInt(f["reply_to"], 10, 64)
	if in.Mode != assignment.ModeIndividual {
		in.PartnerID = 0
	}
	// Ticked with another mode, the service refuses it with a message
	// beside the box rather than the box being ignored.
	if f["reveal"] == "together" {
		in.Reveal = assignment.RevealTogether
	}
	if f["due_date"] != "" {
		due, err := parseDue(f["due_date"], f["due_time"], mustActor(c).ClinicLoc())
		if err != nil {
			errs["due_date"] = apperr.Message(err)
		} else {
			in.DueAt = &due
		}
	}
	if f["repeat"] == "day" || f["repeat"] == "week" || f["repeat"] == "four_weeks" {
		in.Recurrence = &struct {
			Every string `json:"every"`
			Until string `json:"until"`
		}{f["repeat"], f["until"]}
	}
	// "Before the next session" instead of a date (see dueNextSession).
	if f["due"] = c.FormValue("due"); f["due"] == "next_session" {
		delete(errs, "due_date")
		if msg, err := s.dueNextSession(c, coupleID, &in); err != nil {
			return err
		} else if msg != "" {
			errs["due"] = msg
		}
	}
	if len(errs) > 0 {
		return s.renderAssign(c, http.StatusUnprocessableEntity, coupleID, f, errs)
	}
	asg, err := s.Assignments.Create(c.Request().Context(), mustActor(c), coupleID, in)
	if ae, ok := apperr.As(err); ok && (ae.Code == apperr.Invalid || ae.Code == apperr.Conflict) {
		for k, v := range ae.Fields {
			errs[formKey(k)] = v
		}
		if id, ok := ae.Data["existing"].(int64); ok { // the duplicate's link
			f["duplicate_of"] = strconv.FormatInt(id, 10)
		}
		if len(errs) == 0 {
			errs["template_id"] = ae.Message
		}
		return s.renderAssign(c, http.StatusUnprocessableEntity, coupleID, f, errs)
	}
	if err != nil {
		return err
	}
	s.flash(c, "Assigned “"+asg.TemplateTitle+"”. The couple sees it on their home page.")
	return c.Redirect(http.StatusSeeOther, "/assignments/"+strconv.FormatInt(asg.ID, 10))
}

// formKey maps service field names to the form's input names.
func formKey(k string) string {
	switch k {
	case "due_at":
		return "due_date"
	case "recurrence.until":
		return "until"
	case "recurrence.every":
		return "repeat"
	}
	return k
}

// parseDue reads a due date and optional time of day, local to loc (the
// clinic's zone): a date alone is the end of that local day (its last
// second, however long the day is), a date and time is that local time.
func parseDue(date, clock string, loc *time.Location) (time.Time, error) {
	d, err := tz.ParseDate(strings.TrimSpace(date))
	if err != nil {
		return time.Time{}, apperr.New(apperr.Invalid, "Give a real date (YYYY-MM-DD) and a time (HH:MM).")
	}
	clock = strings.TrimSpace(clock)
	if clock == "" {
		return tz.End(d, loc), nil
	}
	hm, err := time.Parse("15:04", clock)
	if err != nil {
		return time.Time{}, apperr.New(apperr.Invalid, "Give a real date (YYYY-MM-DD) and a time (HH:MM).")
	}
	return tz.At(d, hm.Hour(), hm.Minute(), loc), nil
}

// dueForm is how the edit form shows a due time: local to loc, the
// time left empty when it is the end of the day (as a date alone means).
func dueForm(t time.Time, loc *time.Location) (date, clock string) {
	d := tz.DateOf(t, loc)
	if t.Equal(tz.End(d, loc)) {
		return d.Format(time.DateOnly), ""
	}
	return d.Format(time.DateOnly), t.In(loc).Format("15:04")
}

// ---- the assignment ----

func (s *Server) assignmentPage(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.Assignments.Get(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	form := map[string]string{"instructions": d.Instructions}
	if d.ReviewBeforeSharing {
		form["review_before_sharing"] = "1"
	}
	if d.DueAt.Valid {
		form["due_date"], form["due_time"] = dueForm(d.DueAt.Time, mustActor(c).ClinicLoc())
	}
	return s.renderAssignment(c, http.StatusOK, d, form, nil, "")
}

func (s *Server) renderAssignment(c echo.Context, status int, d assignment.Detail, form, errs map[string]string, msg string) error {
	counselor, admin, partner := d.Access()
	return s.render(c, status, "assignment", page{Title: d.TemplateTitle, Form: form, Errors: errs, Error: msg, Data: assignmentView{
		D: d, Counselor: counselor, Admin: admin, PartnerID: partner, Now: time.Now(),
		DueZone: tz.Name(mustActor(c).ClinicLoc()),
	}})
}

// assignmentView is one assignment's page, as its counselor, an admin or
// a partner (PartnerID) sees it.
type assignmentView struct {
	D         assignment.Detail
	Counselor bool
	Admin     bool
	PartnerID int64
	Now       time.Time
	DueZone   string // due times are the clinic's
}

// snapshotView is one submitted version of a response.
type snapshotView struct {
	D         assignment.Detail
	R         assignment.ResponseView
	S         assignment.SnapshotView
	Body      template.HTML
	Counselor bool
}

// responsePrintView is a response's print page.
type responsePrintView struct {
	D    assignment.Detail
	R    assignment.ResponseView
	Body template.HTML
}

// reviewView is the review queue's model.
type reviewView struct {
	Items    []reviewItem
	Next     string // the next page's URL, "" on the last
	Choices  assignment.QueueChoices
	Filtered bool
}

// reviewItem is a queue item with the link that opens it in the queue's
// filter (so a decision goes on to the next item of the same filter).
type reviewItem struct {
	assignment.QueueItem
	Href string
}

// queueLink is the response page opened from the queue in filter f.
func queueLink(id int64, f assignment.QueueFilter) string {
	q := queueFilterQuery(f)
	q.Set("from", "queue")
	return "/responses/" + strconv.FormatInt(id, 10) + "?" + q.Encode()
}

// reviewQueueURL is the queue page in filter f.
func reviewQueueURL(f assignment.QueueFilter) string {
	if q := queueFilterQuery(f).Encode(); q != "" {
		return "/review?" + q
	}
	return "/review"
}

func (s *Server) assignmentUpdate(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	var ch assignment.Change
	msg := "Saved."
	if c.FormValue("op") == "cancel" {
		st := assignment.StatusCancelled
		ch.Status = &st
		msg = "The exercise was withdrawn. The couple sees that; what they wrote is kept."
	} else {
		instr := c.FormValue("instructions")
		ch.Instructions = &instr
		if c.FormValue("review_before_sharing_shown") == "1" { // an unticked box sends nothing
			rbs := c.FormValue("review_before_sharing") == "1"
			ch.ReviewBeforeSharing = &rbs
		}
		var due *time.Time
		if d := c.FormValue("due_date"); d != "" {
			t, err := parseDue(d, c.FormValue("due_time"), mustActor(c).ClinicLoc())
			if err != nil {
				det, gerr := s.Assignments.Get(ctx, mustActor(c), id)
				if gerr != nil {
					return gerr
				}
				return s.renderAssignment(c, http.StatusUnprocessableEntity, det, formValues(c, "instructions", "due_date", "due_time", "review_before_sharing"),
					map[string]string{"due_date": apperr.Message(err)}, "")
			}
			due = &t
		}
		ch.DueAt = &due
	}
	_, err = s.Assignments.Update(ctx, mustActor(c), id, ch)
	if ae, ok := apperr.As(err); ok && (ae.Code == apperr.Invalid || ae.Code == apperr.Conflict) {
		det, gerr := s.Assignments.Get(ctx, mustActor(c), id)
		if gerr != nil {
			return gerr
		}
		errs := map[string]string{}
		for k, v := range ae.Fields {
			errs[formKey(k)] = v
		}
		return s.renderAssignment(c, statusOf[ae.Code], det, formValues(c, "instructions", "due_date", "due_time", "review_before_sharing"),
			errs, ae.Message)
	}
	if err != nil {
		return err
	}
	s.flash(c, msg)
	return c.Redirect(http.StatusSeeOther, "/assignments/"+strconv.FormatInt(id, 10))
}

// ---- a response ----

// responseView is what the response page needs.
type responseView struct {
	D         assignment.Detail
	R         assignment.ResponseView
	Counselor bool
	PartnerID int64
	Form      template.HTML // the fillable form (author, editable)
	Read      template.HTML // read-only answers
	Conflict  template.HTML // the partner's newer text after a stale save
	Editable  bool
	Changes   []submissionChange
	ReplyOf   template.HTML
	SignedBy  map[int64]bool
	// The review form as typed, and its messages, after a refused review.
	ReviewComment string
	ReviewErrors  map[string]string
	// RevealNote explains why a revealed-together answer has no Share button.
	RevealNote string
	// SharesLatest: the submission the author shared is their latest one.
	SharesLatest bool
	// ShareLater explains why the author cannot share yet ("review before
	// sharing", not accepted yet).
	ShareLater string
	// SinceSigned: the caller signed an earlier version of this joint
	// response, and it changed since (nil otherwise).
	SinceSigned *sinceSigned
	// ConflictFields compares, field by field, the text the caller typed
	// with the newer saved one after a stale save.
	ConflictFields  []conflictField
	ConflictDiffers int // how many of ConflictFields differ
	// PartnerFirst is the other partner's first name (joint responses).
	PartnerFirst string
	// FromQueue: opened from the review queue; a decision goes on to the
	// next item of QueueFilter (name, value pairs), QueueBack is the queue.
	FromQueue   bool
	QueueFilter [][2]string
	QueueBack   string
}

// sinceSigned is what changed in a joint response since the caller signed
// an earlier version: each changed answer against the signed one.
type sinceSigned struct {
	Version  int
	SignedAt time.Time
	Changed  []fieldChange
}

// conflictField is one answer after a stale save: whether the caller's
// typed text differs from the newer saved one, and how.
type conflictField struct {
	Label   string
	Differs bool
	Words   []diffPart // saved text → the caller's, for written answers
	Saved   string
	Mine    string
}

// submissionChange is one submission with what changed against the one
// before it, field by field.
type submissionChange struct {
	Sub     assignment.Submission
	Number  int
	Changed []fieldChange
	First   bool
}

// fieldChange is one changed answer: a word-level diff for written
// answers, the earlier and the new wording for the others.
type fieldChange struct {
	Label         string
	Words         []diffPart
	Before, After string
}

func (s *Server) responsePage(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.showResponse(c, http.StatusOK, id, nil, nil, nil, "")
}

// showResponse renders the response page; typed answers, field errors and a
// conflicting saved text are re-shown so nothing is lost.
func (s *Server) showResponse(c echo.Context, status int, id int64, typed map[string]any, fe exercise.FieldErrors, conflict map[string]any, msg string) error {
	ctx := c.Request().Context()
	a := mustActor(c)
	d, rv, err := s.Assignments.GetResponse(ctx, a, id)
	if err != nil {
		return err
	}
	if err := s.Assignments.MarkFeedbackRead(ctx, a, rv); err != nil {
		return err
	}
	counselor, _, partner := d.Access()
	v := responseView{D: d, R: rv, Counselor: counselor, PartnerID: partner, SignedBy: map[int64]bool{}}
	for _, sg := range rv.Signatures {
		if sg.Version == rv.Version {
			v.SignedBy[sg.PartnerID] = true
		}
	}
	if d.Reveal == assignment.RevealTogether {
		v.RevealNote = assignment.RevealTogetherNote
	}
	v.SharesLatest = len(rv.History) > 0 && rv.History[0].ID == rv.SharedSubmissionID
	if d.ReviewBeforeSharing && rv.Mine && rv.Status != assignment.Accepted {
		v.ShareLater = assignment.ReviewBeforeSharingNote
	}
	v.Editable = rv.Mine && d.Status == assignment.StatusActive && d.CoupleStatus != "closed" && !rv.Upcoming &&
		(rv.Status == assignment.Draft || rv.Status == assignment.RevisionRequested)
	answers := rv.Answers
	if typed != nil {
		answers = typed
	}
	if v.Editable {
		if v.Form, err = exercise.Render(d.Schema, exercise.RenderOptions{View: exercise.ViewForm, Answers: answers, Errors: fe}); err != nil {
			return err
		}
	} else if rv.Answers != nil {
		if v.Read, err = exercise.Render(d.Schema, exercise.RenderOptions{View: exercise.ViewReadOnly, Answers: rv.Answers}); err != nil {
			return err
		}
	}
	if conflict != nil {
		if v.Conflict, err = exercise.Render(d.Schema, exercise.RenderOptions{View: exercise.ViewReadOnly, Answers: conflict, IDPrefix: "saved-"}); err != nil {
			return err
		}
	}
	if d.ReplyOf != nil {
		// Loaded (and audited) with the response: the answered response as
		// the caller may read it.
		if v.ReplyOf, err = exercise.Render(d.ReplyOfSchema, exercise.RenderOptions{View: exercise.ViewReadOnly, Answers: d.ReplyOf.Answers, IDPrefix: "orig-"}); err != nil {
			return err
		}
	}
	v.Changes = changes(d.Schema, rv.History)
	if rv.PartnerID == nil && rv.Mine {
		v.PartnerFirst = firstName(d.OtherPartnerName())
		if sv := rv.SignedVersion; sv != nil && sv.Version != rv.Version && !v.SignedBy[partner] {
			var signed map[string]any
			json.Unmarshal(sv.Answers, &signed)
			v.SinceSigned = &sinceSigned{Version: sv.Version, SignedAt: sv.SignedAt, Changed: fieldChanges(d.Schema, signed, rv.Answers)}
		}
	}
	if conflict != nil && typed != nil {
		v.ConflictFields = conflictFields(d.Schema, conflict, typed)
		for _, cf := range v.ConflictFields {
			if cf.Differs {
				v.ConflictDiffers++
			}
		}
	}
	if f, ok := c.Get("review_form").(map[string]string); ok {
		v.ReviewComment = f["comment"]
	}
	if fe, ok := c.Get("review_errors").(map[string]string); ok {
		v.ReviewErrors = fe
	}
	if c.FormValue("from") == "queue" {
		// Opened from the queue: the review form carries its filter on.
		if f, err := parseQueueFilter(c.FormValue); err == nil {
			v.FromQueue = true
			v.QueueBack = reviewQueueURL(f)
			for i, n := range [...]int64{f.CoupleID, f.PartnerID, f.TemplateID} {
				if n != 0 {
					v.QueueFilter = append(v.QueueFilter, [2]string{queueFilterParams[i], strconv.FormatInt(n, 10)})
				}
			}
		}
	}
	if len(fe) > 0 && (msg == "Some answers need attention." || msg == "Some required answers are missing.") {
		msg = ""
	}
	p := page{Title: d.TemplateTitle, Data: v, Error: msg}
	// Field errors are summarised by the exercise form itself (with links
	// to each field), so the page adds no second banner for them.
	return s.render(c, status, "response", p)
}

// changes compares each submission with the one before it, by field:
// written answers as a word-level diff, the others as before and after.
func changes(sc exercise.Schema, hist []assignment.Submission) []submissionChange {
	out := make([]submissionChange, len(hist))
	for i, h := range hist { // newest first
		out[i] = submissionChange{Sub: h, Number: len(hist) - i, First: i == len(hist)-1}
		if i == len(hist)-1 {
			continue
		}
		var cur, prev map[string]any
		json.Unmarshal(h.Answers, &cur)
		json.Unmarshal(hist[i+1].Answers, &prev)
		out[i].Changed = fieldChanges(sc, prev, cur)
	}
	return out
}

// fieldChanges compares two texts of a response field by field, in the
// form's order: each changed answer, written answers as a word-level diff.
func fieldChanges(sc exercise.Schema, prev, cur map[string]any) []fieldChange {
	var out []fieldChange
	for _, f := range sc.Fields() {
		a, _ := json.Marshal(cur[f.Key])
		b, _ := json.Marshal(prev[f.Key])
		if string(a) == string(b) {
			continue
		}
		ch := fieldChange{Label: f.Label, Before: exercise.AnswerText(f, prev[f.Key]), After: exercise.AnswerText(f, cur[f.Key])}
		if wordy(f) {
			ch.Words = wordDiff(ch.Before, ch.After)
		}
		out = append(out, ch)
	}
	return out
}

// wordy: answers compared word by word (the others as before and after).
func wordy(f exercise.Field) bool {
	switch f.Type {
	case exercise.TypeLongText, exercise.TypeShortText, exercise.TypeList:
		return true
	}
	return false
}

// conflictFields compares every field of the newer saved text with what
// the caller typed, as each reads (typed answers are not cleaned yet, so
// they are compared as the read-only view words them).
func conflictFields(sc exercise.Schema, saved, typed map[string]any) []conflictField {
	var out []conflictField
	for _, f := range sc.Fields() {
		cf := conflictField{Label: f.Label, Saved: exercise.AnswerText(f, saved[f.Key]), Mine: exercise.AnswerText(f, typed[f.Key])}
		cf.Differs = cf.Saved != cf.Mine
		if cf.Differs && wordy(f) {
			cf.Words = wordDiff(cf.Saved, cf.Mine)
		}
		out = append(out, cf)
	}
	return out
}

// firstName is the first word of a partner's name, for messages
// ("Blair will need to sign again"); "Your partner" without one.
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return "Your partner"
}

// signAgain says whose signature a save cleared, by name: "Blair will need
// to sign again." ("" when none was).
func signAgain(saved assignment.Saved) string {
	partner := firstName(saved.PartnerName)
	switch {
	case saved.PartnerCleared() && saved.YouCleared():
		return partner + " will need to sign again, and so will you: the text changed since you signed."
	case saved.PartnerCleared():
		return partner + " will need to sign again: the text changed since they signed."
	case saved.YouCleared():
		return "You will need to sign again: the text changed since you signed."
	}
	return ""
}

// responseSnapshot shows one earlier submission of a response, read-only.
func (s *Server) responseSnapshot(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	sub, err := pathID(c, "sub")
	if err != nil {
		return err
	}
	d, rv, snap, err := s.Assignments.Snapshot(c.Request().Context(), mustActor(c), id, sub)
	if err != nil {
		return err
	}
	var answers map[string]any
	json.Unmarshal(snap.Answers, &answers)
	body, err := exercise.Render(d.Schema, exercise.RenderOptions{View: exercise.ViewReadOnly, Answers: answers, IDPrefix: "snap-"})
	if err != nil {
		return err
	}
	counselor, _, _ := d.Access()
	return s.render(c, http.StatusOK, "response_snapshot", page{Title: d.TemplateTitle, Data: snapshotView{
		D: d, R: rv, S: snap, Body: body, Counselor: counselor,
	}})
}

// responseAction handles the response form's buttons: save, submit, share,
// unshare, sign. Every path keeps what was typed.
func (s *Server) responseAction(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	a := mustActor(c)
	op := c.FormValue("op")
	switch op {
	case "share", "unshare":
		if err := s.Assignments.Share(ctx, a, id, op == "share"); err != nil {
			if ae, ok := apperr.As(err); ok && ae.Code != apperr.NotFound {
				return s.showResponse(c, statusOf[ae.Code], id, nil, nil, nil, ae.Message)
			}
			return err
		}
		if op == "share" {
			s.flash(c, "Shared: your partner can read what you submitted. You can stop sharing at any time.")
		} else {
			s.flash(c, "No longer shared with your partner.")
		}
		return c.Redirect(http.StatusSeeOther, "/responses/"+strconv.FormatInt(id, 10))
	}
	// The schema reads the posted form; nothing is read out, so nothing is
	// audited as read (the save itself is audited).
	sc, err := s.Assignments.FormSchema(ctx, a, id)
	if err != nil {
		return err
	}
	form, _ := c.FormParams()
	typed := sc.AnswersFromForm(form)
	version, _ := strconv.Atoi(c.FormValue("version"))
	saved, err := s.Assignments.SaveDraft(ctx, a, id, typed, version)
	if err != nil {
		return s.responseError(c, id, typed, err)
	}
	switch op {
	case "submit":
		// The share question is asked at every submission (pre-set to the
		// author's last choice): a share covers the text that was shared.
		share := c.FormValue("share") == "1"
		if err := s.Assignments.SubmitShared(ctx, a, id, share); err != nil {
			if ae, ok := apperr.As(err); ok && saved.SignaturesCleared {
				ae.Message += " Your changes were saved. " + signAgain(saved)
			}
			return s.responseError(c, id, typed, err)
		}
		if share {
			s.flash(c, "Submitted. Your counselor will review it, and your partner can read it.")
		} else {
			s.flash(c, "Submitted. Your counselor will review it.")
		}
		return c.Redirect(http.StatusSeeOther, "/")
	case "sign":
		if _, err := s.Assignments.Sign(ctx, a, id, saved.Version); err != nil {
			if ae, ok := apperr.As(err); ok && saved.Version != version {
				ae.Message = "Your changes were saved, but not signed: " + ae.Message
				if saved.SignaturesCleared {
					ae.Message += " " + signAgain(saved)
				}
			}
			return s.responseError(c, id, typed, err)
		}
		if saved.PartnerCleared() {
			// Your own signature is back on the new version; theirs is not.
			s.flash(c, "Signed your changes. "+firstName(saved.PartnerName)+" will need to sign again: the text changed since they signed.")
		} else {
			s.flash(c, "Signed. When both of you have signed this version, either of you can submit it.")
		}
	default:
		msg := "Draft saved."
		if note := signAgain(saved); note != "" {
			msg += " " + note
		}
		s.flash(c, msg)
	}
	return c.Redirect(http.StatusSeeOther, "/responses/"+strconv.FormatInt(id, 10))
}

// responseError re-shows the response page after a refused action, with
// the typed answers, the field messages, and on a stale save the newer text.
func (s *Server) responseError(c echo.Context, id int64, typed map[string]any, err error) error {
	ae, ok := apperr.As(err)
	if !ok || ae.Code == apperr.NotFound || ae.Code == apperr.Forbidden {
		return err
	}
	var conflict map[string]any
	msg := ae.Message
	if ae.Code == apperr.Conflict {
		if cur, ok := ae.Data["answers"].(map[string]any); ok {
			conflict = cur
			if cur == nil {
				conflict = map[string]any{}
			}
		}
	}
	return s.showResponse(c, statusOf[ae.Code], id, typed, ae.Fields, conflict, msg)
}

// responseAutosave saves a draft from the page's script and answers JSON.
// It renders nothing, so it reads (and audits as read) nothing.
func (s *Server) responseAutosave(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	a := mustActor(c)
	form, _ := c.FormParams()
	version, _ := strconv.Atoi(c.FormValue("version"))
	saved, err := s.Assignments.SaveDraftFrom(ctx, a, id, func(sc exercise.Schema) map[string]any { return sc.AnswersFromForm(form) }, version)
	if ae, ok := apperr.As(err); ok {
		body := map[string]any{"error": ae.Message}
		if ae.Fields != nil {
			body["fields"] = ae.Fields
		}
		if v, ok := ae.Data["version"]; ok {
			body["version"] = v
		}
		return c.JSON(statusOf[ae.Code], body)
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"version": saved.Version, "saved_at": time.Now().UTC().Format(time.RFC3339),
		"signatures_cleared": saved.SignaturesCleared, "cleared_signatures": saved.ClearedSignatures})
}

func (s *Server) responseReview(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	decision := c.FormValue("decision")
	err = s.Assignments.Review(c.Request().Context(), mustActor(c), id, decision, c.FormValue("comment"))
	if ae, ok := apperr.As(err); ok && (ae.Code == apperr.Invalid || ae.Code == apperr.Conflict) {
		c.Set("review_form", formValues(c, "decision", "comment"))
		c.Set("review_errors", ae.Fields)
		return s.showResponse(c, statusOf[ae.Code], id, nil, nil, nil, ae.Message)
	}
	if err != nil {
		return err
	}
	msg := "Accepted. The author sees your feedback."
	if decision != "accept" {
		msg = "Revision requested. The author sees your comment and can revise."
	}
	if c.FormValue("from") != "queue" {
		s.flash(c, msg)
		return c.Redirect(http.StatusSeeOther, "/review")
	}
	// From the queue: on to the next item waiting in the same filter, or
	// back to the (filtered) queue when none is left. A filter that no
	// longer parses or applies (a couple reassigned meanwhile) is dropped.
	ctx, a := c.Request().Context(), mustActor(c)
	f, err := parseQueueFilter(c.FormValue)
	if err == nil {
		err = s.Assignments.CheckQueueFilter(ctx, a, f)
	}
	if err != nil {
		f = assignment.QueueFilter{}
	}
	next, err := s.Assignments.NextAfterReview(ctx, a, f, id)
	if err != nil {
		return err
	}
	if next == nil {
		empty := " Queue empty: nothing else is waiting for your review."
		if !f.Empty() {
			empty = " Queue empty: nothing else in this filter is waiting for your review."
		}
		s.flash(c, msg+empty)
		return c.Redirect(http.StatusSeeOther, reviewQueueURL(f))
	}
	s.flash(c, msg+" Next in the queue:")
	return c.Redirect(http.StatusSeeOther, queueLink(next.ResponseID, f))
}

func (s *Server) responsePrint(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, rv, err := s.Assignments.ReadResponse(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	body, err := exercise.Render(d.Schema, exercise.RenderOptions{View: exercise.ViewPrint, Answers: rv.Answers})
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "response_print", page{Title: d.TemplateTitle, Data: responsePrintView{D: d, R: rv, Body: body}})
}

// ---- review queue ----

func (s *Server) reviewQueuePageHandler(c echo.Context) error {
	ctx, a := c.Request().Context(), mustActor(c)
	ch, err := s.Assignments.ReviewQueueChoices(ctx, a)
	if err != nil {
		return err
	}
	form := formValues(c, queueFilterParams[:]...)
	v := reviewView{Choices: ch, Items: []reviewItem{}}
	items, next, f, err := s.reviewQueuePage(c)
	if ae, ok := apperr.As(err); ok && ae.Code == apperr.Invalid {
		// A partner of another couple than the one chosen: the form again,
		// the message beside the partner, the choices kept.
		v.Filtered = true
		return s.render(c, http.StatusUnprocessableEntity, "review", page{Title: "Review queue", Data: v, Form: form, Errors: ae.Fields, Error: ae.Message})
	}
	if err != nil {
		return err
	}
	v.Filtered = !f.Empty()
	for _, it := range items {
		v.Items = append(v.Items, reviewItem{QueueItem: it, Href: queueLink(it.ResponseID, f)})
	}
	if next != nil {
		q := queueFilterQuery(f)
		q.Set("after", *next)
		v.Next = "/review?" + q.Encode()
	}
	for i, n := range [...]int64{f.CoupleID, f.PartnerID, f.TemplateID} {
		if n != 0 {
			form[queueFilterParams[i]] = strconv.FormatInt(n, 10)
		}
	}
	return s.render(c, http.StatusOK, "review", page{Title: "Review queue", Data: v, Form: form})
}

// ---- check-in chart ----

func (s *Server) checkinChart(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	series, err := s.Assignments.Checkins(c.Request().Context(), mustActor(c), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Type", "image/svg+xml; charset=utf-8")
	return c.String(http.StatusOK, checkinSVG(series, c.QueryParam("days"), time.Now(), mustActor(c).ClinicLoc()))
}
