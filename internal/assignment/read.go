package assignment

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"github.com/lib/pq"

	"github.com/mend-clinic/mend/internal/actor"
	"github.com/mend-clinic/mend/internal/apperr"
	"github.com/mend-clinic/mend/internal/audit"
	"github.com/mend-clinic/mend/internal/exercise"
)

// ResponseView is a response as one caller may see it: answers only where
// the privacy rules allow, feedback only for its authors and counselor.
type ResponseView struct {
	ID          int64  `json:"id"`
	PartnerID   *int64 `json:"partner_id"`
	PartnerName string `json:"partner_name"`
	Status      string `json:"status"`
	// Version is the version of the text the caller reads: the live one for
	// its authors, the submitted snapshot's for the counselor and the other
	// partner. It is 0 (null in JSON) for a response the caller may not
	// read: saves must leave no trace there.
	Version int `json:"version"`
	// Shared: the other partner may read a submission of it (the one its
	// author shared, SharedSubmissionID: for its authors and the counselor).
	Shared             bool  `json:"shared"`
	SharedSubmissionID int64 `json:"shared_submission_id,omitempty"`
	// ShareChoice is the author's last choice, which pre-sets the question
	// at their next submission (for its author only).
	ShareChoice bool        `json:"-"`
	Signatures  []Signature `json:"signatures"`
	// SignedVersion is what the caller last signed of a joint response they
	// write, with the answers changed since (see SignedText); nil when they
	// have never signed it, and for everyone else.
	SignedVersion *SignedText    `json:"signed_version,omitempty"`
	OccursOn      *string        `json:"occurs_on"`
	DueAt         *time.Time     `json:"due_at"`
	Overdue       bool           `json:"overdue"`
	SubmittedAt   *time.Time     `json:"submitted_at"`
	Answers       map[string]any `json:"answers,omitempty"`
	// AnswersFrom says which text Answers holds: "current" (the live draft)
	// or "submitted" (the latest submitted snapshot, SubmissionID).
	AnswersFrom  string       `json:"answers_from,omitempty"`
	SubmissionID int64        `json:"submission_id,omitempty"`
	Mine         bool         `json:"mine"`
	Feedback     []Review     `json:"feedback,omitempty"`
	History      []Submission `json:"history,omitempty"`
	// Replies are the exercises assigned in reply to this response that the
	// caller may know of (GetResponse only).
	Replies []ReplyInfo `json:"replies,omitempty"`
	Unread  bool        `json:"feedback_unread"`
	// Concerns are the keys of concerning safety-check answers: for the
	// counselor only.
	Concerns []string `json:"concerns,omitempty"`
	// Revealed tells, for "reveal together", that both partners have
	// submitted this occurrence (so each reads the other's).
	Revealed bool `json:"-"`
	// Upcoming: an occurrence whose day has not come yet (DayHasCome); it
	// cannot be written before.
	Upcoming bool `json:"-"`
	raw      Response
}

// MarshalJSON writes a hidden version as null.
func (v ResponseView) MarshalJSON() ([]byte, error) {
	type plain ResponseView
	out := struct {
		plain
		Version *int `json:"version"`
	}{plain: plain(v)}
	if v.Version != 0 {
		out.Version = &v.Version
	}
	return json.Marshal(out)
}

// ReplyInfo is an exercise assigned in reply to a response: what it is and
// its status, and whether the caller may open it.
type ReplyInfo struct {
	AssignmentID int64   `json:"assignment_id"`
	ResponseID   int64   `json:"response_id"`
	Title        string  `json:"template_title"`
	PartnerName  string  `json:"partner_name"`
	Status       string  `json:"status"`
	Withdrawn    bool    `json:"withdrawn"`
	OccursOn     *string `json:"occurs_on"`
	Readable     bool    `json:"readable"`
}

// Detail is an assignment with its pinned template version and the
// responses the caller may see.
type Detail struct {
	Assignment
	Schema      exercise.Schema `json:"schema"`
	Description string          `json:"-"`
	ClientText  string          `json:"template_instructions"`
	Responses   []ResponseView  `json:"responses"`
	// ReplyOf is the response this assignment answers, when the caller may
	// read it; the other ReplyOf fields are for pages.
	ReplyOf       *ResponseView   `json:"reply_of,omitempty"`
	ReplyOfTitle  string          `json:"-"`
	ReplyOfAuthor string          `json:"-"`
	ReplyOfSchema exercise.Schema `json:"-"`
	// ReplyOfHidden: the caller is the replying partner and may not read the
	// answered response yet (not shared, or not revealed yet).
	ReplyOfHidden bool `json:"-"`
	// ReplyOfUnshared: the replying partner cannot read it yet (told to the
	// counselor).
	ReplyOfUnshared bool `json:"-"`
	access          access
}

// Access tells the caller's relation to the couple (for pages).
func (d Detail) Access() (counselor, admin bool, partnerID int64) {
	return d.access.Counselor, d.access.Admin, d.access.PartnerID
}

// OtherPartnerName is the name of the caller's partner, when the caller is
// one of the couple ("" otherwise).
func (d Detail) OtherPartnerName() string {
	if d.access.PartnerID == 0 {
		return ""
	}
	return d.access.Names[d.access.OtherID]
}

// detail loads an assignment the caller may know of, with its pinned
// version's texts when the caller may read clinical content.
func (s *Service) detail(ctx context.Context, a actor.Actor, id int64) (Detail, error) {
	var d Detail
	asg, err := getAssignment(ctx, s.db, a.ClinicID, id)
	if err != nil {
		return d, err
	}
	acc, err := coupleAccess(ctx, s.db, a, asg.CoupleID)
	if err != nil {
		return d, err
	}
	if !acc.visibleAssignment(asg) {
		return d, errNotFound
	}
	d.Assignment, d.access = asg, acc
	if acc.othersAssignment(asg) {
		// The other partner's one-partner work: what it is and its coarse
		// state (set with its responses), nothing of its setting or dates.
		d.Assignment = asg.forOtherPartner(StateToDo)
	}
	if !acc.contentReader() {
		d.Instructions = "" // the counselor's words to the couple: not for an admin
		return d, nil
	}
	var tv struct {
		Schema       []byte `db:"schema"`
		Description  string `db:"description"`
		Instructions string `db:"instructions"`
	}
	if err := s.db.GetContext(ctx, &tv, `SELECT schema, description, instructions FROM template_versions WHERE template_id = $1 AND version = $2`,
		asg.TemplateID, asg.TemplateVersion); err != nil {
		return d, err
	}
	d.Description, d.ClientText = tv.Description, tv.Instructions
	return d, json.Unmarshal(tv.Schema, &d.Schema)
}

// Get returns an assignment the caller may see, with the responses they may
// read. Reads of clinical content are audited.
func (s *Service) Get(ctx context.Context, a actor.Actor, id int64) (Detail, error) {
	d, err := s.detail(ctx, a, id)
	if err != nil {
		return d, err
	}
	var rs []Response
	if err := s.db.SelectContext(ctx, &rs, `SELECT `+responseCols+` FROM responses WHERE assignment_id = $1 ORDER BY occurs_on NULLS FIRST, partner_id NULLS FIRST, id`, id); err != nil {
		return d, err
	}
	if d.Responses, err = s.views(ctx, d.access, d.Assignment, rs, true); err != nil {
		return d, err
	}
	if d.PartnerView() {
		d.State = stateOf(rs, Today(s.now(), a.ClinicLoc()))
	}
	if err := s.withReplyOf(ctx, a, &d); err != nil {
		return d, err
	}
	return d, s.auditReads(ctx, a, d, d.Responses, nil)
}

// response loads one response the caller may open (their own, or one they
// may read) with its assignment; nothing is audited here.
func (s *Service) response(ctx context.Context, a actor.Actor, id int64) (Detail, ResponseView, error) {
	var r Response
	err := s.db.GetContext(ctx, &r, `SELECT `+responseCols+` FROM responses WHERE id = $1 AND clinic_id = $2`, id, a.ClinicID)
	if errors.Is(err, sql.ErrNoRows) {
		return Detail{}, ResponseView{}, errNotFound
	}
	if err != nil {
		return Detail{}, ResponseView{}, err
	}
	d, err := s.detail(ctx, a, r.AssignmentID)
	if err != nil {
		return d, ResponseView{}, err
	}
	rs, err := s.occurrence(ctx, d.Assignment, r)
	if err != nil {
		return d, ResponseView{}, err
	}
	vs, err := s.views(ctx, d.access, d.Assignment, rs, true)
	if err != nil {
		return d, ResponseView{}, err
	}
	if d.PartnerView() {
		d.State = stateOf(rs, Today(s.now(), a.ClinicLoc()))
	}
	for _, v := range vs {
		if v.ID != id {
			continue
		}
		if v.Answers == nil && !v.Mine {
			return d, v, errNotFound // the caller may know it exists, not open it
		}
		d.Responses = []ResponseView{v}
		return d, v, nil
	}
	return d, ResponseView{}, errNotFound
}

// occurrence returns r with the other responses of its occurrence when the
// reveal rule needs them ("reveal together": both partners' responses).
func (s *Service) occurrence(ctx context.Context, asg Assignment, r Response) ([]Response, error) {
	if asg.Reveal != RevealTogether {
		return []Response{r}, nil
	}
	var rs []Response
	err := s.db.SelectContext(ctx, &rs, `SELECT `+responseCols+` FROM responses WHERE assignment_id = $1 AND occurs_on IS NOT DISTINCT FROM $2 ORDER BY partner_id, id`,
		r.AssignmentID, r.OccursOn)
	return rs, err
}

// GetResponse returns one response with its assignment, for its page: with
// its submission history (for its authors and the counselor), the replies
// that answer it, and the response it answers. One audit event records the
// clinical content read: this response, its snapshots, the one it answers.
func (s *Service) GetResponse(ctx context.Context, a actor.Actor, id int64) (Detail, ResponseView, error) {
	d, v, err := s.response(ctx, a, id)
	if err != nil {
		return d, v, err
	}
	var subs []int64
	if v.Mine || d.access.Counselor {
		if err := s.db.SelectContext(ctx, &v.History, `SELECT `+submissionCols+` FROM submissions WHERE response_id = $1 ORDER BY id DESC`, v.ID); err != nil {
			return d, v, err
		}
		for i := range v.History {
			subs = append(subs, v.History[i].ID)
			d.access.name(v.History[i].Signatures)
		}
	}
	if v.Replies, err = s.repliesTo(ctx, a, d.access, v.raw); err != nil {
		return d, v, err
	}
	if err := s.withReplyOf(ctx, a, &d); err != nil {
		return d, v, err
	}
	d.Responses = []ResponseView{v}
	return d, v, s.auditReads(ctx, a, d, d.Responses, subs)
}

// ReadResponse returns one response as the caller may read it, without its
// history, replies or the response it answers (the printable view); the
// read is audited.
func (s *Service) ReadResponse(ctx context.Context, a actor.Actor, id int64) (Detail, ResponseView, error) {
	d, v, err := s.response(ctx, a, id)
	if err != nil {
		return d, v, err
	}
	return d, v, s.auditReads(ctx, a, d, d.Responses, nil)
}

// SnapshotView is one kept submission of a response.
type SnapshotView struct {
	Submission
	// Number and Of place it in the history ("2 of 3"), for its authors and
	// the counselor (0 for the other partner, who sees no history).
	Number int `json:"number,omitempty"`
	Of     int `json:"of,omitempty"`
}

// Snapshot returns one kept submission of a response, read-only. Its
// authors and the counselor may open every submission; the other partner
// only the latest, while they may read the response at all (what the
// response page shows them). The read is audited.
func (s *Service) Snapshot(ctx context.Context, a actor.Actor, responseID, submissionID int64) (Detail, ResponseView, SnapshotView, error) {
	var snap SnapshotView
	d, v, err := s.response(ctx, a, responseID)
	if err != nil {
		return d, v, snap, err
	}
	history := v.Mine || d.access.Counselor
	if !history && (v.AnswersFrom != "submitted" || v.SubmissionID != submissionID) {
		return d, v, snap, errNotFound
	}
	err = s.db.GetContext(ctx, &snap, `SELECT s.id, s.response_id, s.version, s.answers, s.submitted_by, s.submitted_at, s.signatures,
			(SELECT count(*) FROM submissions x WHERE x.response_id = s.response_id AND x.id <= s.id) AS number,
			(SELECT count(*) FROM submissions x WHERE x.response_id = s.response_id) AS of
		FROM submissions s WHERE s.id = $1 AND s.response_id = $2`, submissionID, responseID)
	if errors.Is(err, sql.ErrNoRows) {
		return d, v, snap, errNotFound
	}
	if err != nil {
		return d, v, snap, err
	}
	if !history {
		snap.Number, snap.Of = 0, 0
	}
	d.access.name(snap.Signatures)
	return d, v, snap, s.audit.LogNow(ctx, s.db, a, audit.Event{Action: "response.read", ObjectType: "assignment",
		ObjectID: d.ID, CoupleID: d.CoupleID, Detail: map[string]any{"responses": []int64{responseID}, "submissions": []int64{submissionID}}})
}

// name fills in the signing partners' names.
func (acc access) name(sigs []Signature) {
	for i := range sigs {
		sigs[i].Name = acc.Names[sigs[i].PartnerID]
	}
}

// views turns responses into what the caller may see, in at most four
// queries whatever their number: the latest snapshots the caller reads,
// the signatures and the caller's own signed texts (joint drafts they
// write), the feedback (when withFeedback).
func (s *Service) views(ctx context.Context, acc access, asg Assignment, rs []Response, withFeedback bool) ([]ResponseView, error) {
	// Reveal together: per occurrence, are both partners' responses submitted?
	submittedBoth := map[string]int{}
	for _, r := range rs {
		if r.SubmittedAt.Valid {
			submittedBoth[occKey(r)]++
		}
	}
	now := s.now()
	today := Today(now, acc.Clinic)
	out := make([]ResponseView, 0, len(rs))
	var snapIDs, sharedIDs, sigIDs, fbIDs []int64
	for _, r := range rs {
		v := ResponseView{ID: r.ID, PartnerID: ptrInt(r.PartnerID), Status: r.Status, Version: r.Version, Shared: r.SharedSubmissionID.Valid,
			DueAt: ptrTime(r.DueAt), Overdue: r.Overdue(now), SubmittedAt: ptrTime(r.SubmittedAt), Mine: acc.mine(r),
			Signatures: []Signature{}, raw: r}
		if asg.Status == StatusCancelled && r.Status != Accepted || acc.CoupleStatus == CouplePaused {
			v.Overdue = false // withdrawn work, or a pause: the clock is stopped
		}
		if r.PartnerID.Valid {
			v.PartnerName = acc.Names[r.PartnerID.Int64]
		} else {
			v.PartnerName = "Both partners"
		}
		if r.OccursOn.Valid {
			d := r.OccursOn.Time.Format(time.DateOnly)
			v.OccursOn = &d
		}
		v.Upcoming = !DayHasCome(r.OccursOn, today)
		revealed := submittedBoth[occKey(r)] >= 2
		switch acc.readable(asg, r, revealed) {
		case "current":
			json.Unmarshal(r.Answers, &v.Answers)
			if v.Answers == nil {
				v.Answers = map[string]any{}
			}
			v.AnswersFrom = "current"
			if !r.PartnerID.Valid {
				sigIDs = append(sigIDs, r.ID)
			}
		case "submitted":
			if acc.othersResponse(r) {
				sharedIDs = append(sharedIDs, r.SharedSubmissionID.Int64) // what its author shared
			} else {
				snapIDs = append(snapIDs, r.ID) // the counselor: the latest
			}
		}
		if v.Mine {
			v.ShareChoice = r.Shared
		}
		if v.Mine || acc.Counselor {
			v.SharedSubmissionID = r.SharedSubmissionID.Int64
		}
		if asg.Reveal == RevealTogether {
			// Sharing does not apply to a revealed-together exercise.
			v.Shared, v.Revealed = false, revealed
		}
		if acc.othersResponse(r) {
			// The other partner's own work: that it exists and a coarse
			// state; never its status (a revision asked for), due date or
			// times (SubmittedAt is the shared text's, below).
			v.Status, v.DueAt, v.SubmittedAt, v.Overdue = coarseState(r), nil, nil, false
		}
		if acc.Counselor && len(r.ConcernFields) > 0 {
			v.Concerns = r.ConcernFields
		}
		if withFeedback && (v.Mine || acc.Counselor) {
			fbIDs = append(fbIDs, r.ID)
			v.Unread = v.Mine && r.FeedbackUnread
		}
		out = append(out, v)
	}
	snaps := map[int64]Submission{} // by response
	if len(snapIDs)+len(sharedIDs) > 0 {
		var list []Submission
		if err := s.db.SelectContext(ctx, &list, `SELECT DISTINCT ON (response_id) `+submissionCols+` FROM submissions
			WHERE response_id = ANY($1) ORDER BY response_id, id DESC`, pq.Array(snapIDs)); err != nil {
			return nil, err
		}
		var shared []Submission
		if err := s.db.SelectContext(ctx, &shared, `SELECT `+submissionCols+` FROM submissions WHERE id = ANY($1)`, pq.Array(sharedIDs)); err != nil {
			return nil, err
		}
		for _, sub := range append(list, shared...) {
			snaps[sub.ResponseID] = sub
		}
	}
	sigs := map[int64][]Signature{}
	if len(sigIDs) > 0 {
		var list []Signature
		if err := s.db.SelectContext(ctx, &list, `SELECT response_id, partner_id, version, signed_at FROM signatures
			WHERE response_id = ANY($1) ORDER BY signed_at`, pq.Array(sigIDs)); err != nil {
			return nil, err
		}
		for _, sg := range list {
			sigs[sg.ResponseID] = append(sigs[sg.ResponseID], sg)
		}
	}
	signed := map[int64]*SignedText{}
	if len(sigIDs) > 0 && acc.PartnerID != 0 {
		var list []SignedText
		if err := s.db.SelectContext(ctx, &list, `SELECT response_id, version, signed_at, answers FROM signed_texts
			WHERE response_id = ANY($1) AND partner_id = $2`, pq.Array(sigIDs), acc.PartnerID); err != nil {
			return nil, err
		}
		for i := range list {
			signed[list[i].ResponseID] = &list[i]
		}
	}
	feedback := map[int64][]Review{}
	if len(fbIDs) > 0 {
		var list []Review
		if err := s.db.SelectContext(ctx, &list, `SELECT `+reviewCols+` FROM reviews WHERE response_id = ANY($1) ORDER BY id DESC`, pq.Array(fbIDs)); err != nil {
			return nil, err
		}
		for _, rv := range list {
			feedback[rv.ResponseID] = append(feedback[rv.ResponseID], rv)
		}
	}
	for i := range out {
		v := &out[i]
		if sub, ok := snaps[v.ID]; ok {
			json.Unmarshal(sub.Answers, &v.Answers)
			if v.Answers == nil {
				v.Answers = map[string]any{}
			}
			v.AnswersFrom, v.SubmissionID, v.Version = "submitted", sub.ID, sub.Version
			if acc.othersResponse(v.raw) {
				v.SubmittedAt = &sub.SubmittedAt // when the text they read was submitted
			}
			if v.PartnerID == nil {
				// You read what was signed: the submitted version's signatures.
				v.Signatures = append([]Signature{}, sub.Signatures...)
			}
		}
		if list, ok := sigs[v.ID]; ok {
			v.Signatures = list
		}
		if st, ok := signed[v.ID]; ok && v.AnswersFrom == "current" {
			st.Changed = changedKeys(st.Answers, v.Answers)
			v.SignedVersion = st
		}
		acc.name(v.Signatures)
		v.Feedback = feedback[v.ID]
		if v.AnswersFrom == "" && !v.Mine {
			// Nothing readable: no trace of drafting (saves, signatures).
			v.Version, v.Signatures = 0, []Signature{}
		}
		if !acc.contentReader() || acc.PartnerID != 0 && !v.Mine && v.Answers == nil {
			// The other partner's choice shows only as what they let you read;
			// an admin gets statuses and dates, not the partners' choices.
			v.Shared = false
		}
	}
	return out, nil
}

// changedKeys lists the keys whose answers differ between a kept text and
// the answers read now, sorted.
func changedKeys(kept json.RawMessage, now map[string]any) []string {
	var before map[string]any
	json.Unmarshal(kept, &before)
	out := []string{}
	seen := map[string]bool{}
	for _, m := range []map[string]any{before, now} {
		for k := range m {
			if seen[k] {
				continue
			}
			seen[k] = true
			x, _ := json.Marshal(before[k])
			y, _ := json.Marshal(now[k])
			if string(x) != string(y) {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// stateOf is the coarse state of the other partner's work from its
// responses: done once every occurrence whose day has come was submitted.
func stateOf(rs []Response, today time.Time) string {
	state := StateToDo
	for _, r := range rs {
		if !DayHasCome(r.OccursOn, today) {
			continue
		}
		if coarseState(r) == StateToDo {
			return StateToDo
		}
		state = StateDone
	}
	return state
}

// stateOfSQL is stateOf for the assignments alias a and today's date
// placeholder.
func stateOfSQL(a, today string) string {
	return `(SELECT CASE WHEN count(*) > 0 AND bool_and(r.submitted_at IS NOT NULL) THEN 'done' ELSE 'to_do' END
		FROM responses r WHERE r.assignment_id = ` + a + `.id AND ` + DayHasComeSQL("r", today) + `)`
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func occKey(r Response) string {
	return r.OccursOn.Time.Format(time.DateOnly)
}

// withReplyOf adds the response an assignment answers: its answers where the
// caller may read them (the counselor: the submission; the replying
// partner: once shared or revealed), or for the replying partner the fact
// that it is not shared with them yet.
func (s *Service) withReplyOf(ctx context.Context, a actor.Actor, d *Detail) error {
	if !d.ReplyTo.Valid || !d.access.contentReader() {
		return nil
	}
	var orig Response
	err := s.db.GetContext(ctx, &orig, `SELECT `+responseCols+` FROM responses WHERE id = $1 AND clinic_id = $2 AND couple_id = $3`,
		d.ReplyTo.Int64, a.ClinicID, d.CoupleID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	oasg, err := getAssignment(ctx, s.db, a.ClinicID, orig.AssignmentID)
	if err != nil {
		return err
	}
	if !d.access.visibleAssignment(oasg) {
		return nil
	}
	rs, err := s.occurrence(ctx, oasg, orig)
	if err != nil {
		return err
	}
	vs, err := s.views(ctx, d.access, oasg, rs, false)
	if err != nil {
		return err
	}
	submitted := 0
	for _, r := range rs {
		if r.SubmittedAt.Valid {
			submitted++
		}
	}
	for i := range vs {
		if vs[i].ID != orig.ID {
			continue
		}
		d.ReplyOfTitle, d.ReplyOfAuthor = oasg.TemplateTitle, vs[i].PartnerName
		d.ReplyOfUnshared = !partnerReads(oasg, orig, submitted >= 2)
		if vs[i].Answers == nil {
			d.ReplyOfHidden = d.access.PartnerID != 0
			return nil
		}
		d.ReplyOf = &vs[i]
		d.ReplyOfSchema, err = schemaOf(ctx, s.db, oasg)
		return err
	}
	return nil
}

// repliesTo lists the exercises assigned in reply to a response that the
// caller may know of, with each response's status, and whether the caller
// may open it. Two queries.
func (s *Service) repliesTo(ctx context.Context, a actor.Actor, acc access, orig Response) ([]ReplyInfo, error) {
	var asgs []Assignment
	if err := s.db.SelectContext(ctx, &asgs, `SELECT `+assignmentCols+assignmentFrom+`
		WHERE a.reply_to = $1 AND a.clinic_id = $2 AND a.couple_id = $3 ORDER BY a.id`, orig.ID, a.ClinicID, orig.CoupleID); err != nil {
		return nil, err
	}
	byID := map[int64]Assignment{}
	var ids []int64
	for _, x := range asgs {
		if acc.visibleAssignment(x) {
			byID[x.ID] = x
			ids = append(ids, x.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var rs []Response
	if err := s.db.SelectContext(ctx, &rs, `SELECT `+responseCols+` FROM responses r WHERE r.assignment_id = ANY($1)
		AND `+DayHasComeSQL("r", "$2")+` ORDER BY r.assignment_id, r.occurs_on, r.partner_id, r.id`,
		pq.Array(ids), s.today(a)); err != nil {
		return nil, err
	}
	type occ struct {
		asg int64
		day string
	}
	submitted := map[occ]int{}
	for _, r := range rs {
		if r.SubmittedAt.Valid {
			submitted[occ{r.AssignmentID, occKey(r)}]++
		}
	}
	out := []ReplyInfo{}
	for _, r := range rs {
		x := byID[r.AssignmentID]
		info := ReplyInfo{AssignmentID: x.ID, ResponseID: r.ID, Title: x.TemplateTitle, Status: r.Status,
			Withdrawn: x.Status == StatusCancelled, PartnerName: "Both partners",
			Readable: acc.readable(x, r, submitted[occ{r.AssignmentID, occKey(r)}] >= 2) != ""}
		if acc.othersResponse(r) {
			// The other partner's reply: a coarse state, and nothing of what
			// the counselor did with it (a withdrawal neither).
			info.Status, info.Withdrawn = coarseState(r), info.Withdrawn && !acc.othersAssignment(x)
		}
		if r.PartnerID.Valid {
			info.PartnerName = acc.Names[r.PartnerID.Int64]
		}
		if r.OccursOn.Valid {
			d := r.OccursOn.Time.Format(time.DateOnly)
			info.OccursOn = &d
		}
		out = append(out, info)
	}
	return out, nil
}

// FormSchema returns the pinned schema of a response the caller writes, to
// read a posted form. It reads no answers, so it audits nothing; whoever
// does not write the response gets what a write would (403 or 404).
func (s *Service) FormSchema(ctx context.Context, a actor.Actor, id int64) (exercise.Schema, error) {
	_, asg, _, err := s.writable(ctx, s.db, a, id, false)
	if err != nil {
		return exercise.Schema{}, err
	}
	return schemaOf(ctx, s.db, asg)
}

// MarkFeedbackRead clears the unread flag when the author opens feedback.
func (s *Service) MarkFeedbackRead(ctx context.Context, a actor.Actor, v ResponseView) error {
	if !v.Mine || !v.Unread {
		return nil
	}
	_, err := s.db.ExecContext(ctx, `UPDATE responses SET feedback_unread = false WHERE id = $1 AND clinic_id = $2`, v.ID, a.ClinicID)
	return err
}

// auditReads records, in one event per request, every read of clinical
// content (answers or a counselor's comments), the caller's own included:
// the responses, the kept submissions shown, the response a reply answers.
// Ids only, never the content.
func (s *Service) auditReads(ctx context.Context, a actor.Actor, d Detail, vs []ResponseView, submissions []int64) error {
	var ids []int64
	for _, v := range vs {
		if v.Answers != nil || len(v.Feedback) > 0 {
			ids = append(ids, v.ID)
		}
	}
	if d.ReplyOf != nil && !containsID(ids, d.ReplyOf.ID) {
		ids = append(ids, d.ReplyOf.ID)
	}
	if len(ids) == 0 && len(submissions) == 0 {
		return nil
	}
	detail := map[string]any{"responses": ids}
	if len(submissions) > 0 {
		detail["submissions"] = submissions
	}
	return s.audit.LogNow(ctx, s.db, a, audit.Event{Action: "response.read", ObjectType: "assignment",
		ObjectID: d.ID, CoupleID: d.CoupleID, Detail: detail})
}

// Summary is one assignment in a list: statuses and dates, no content.
type Summary struct {
	Assignment
	CounselorID   int64 `db:"couple_counselor_id"`
	CallerPartner bool  `db:"caller_partner"`
	Total         int   `db:"total"`
	Open          int   `db:"open"`
	Waiting       int   `db:"waiting"`
	Done          int   `db:"done"`
	OverdueN      int   `db:"overdue"`
	// OthersWork: the other partner's one-partner work (othersAssignment),
	// with its coarse state.
	OthersWork  bool   `db:"others_work"`
	OthersState string `db:"others_state"`
}

// ListFilter narrows a list of assignments.
type ListFilter struct {
	CoupleID int64
	Status   string // active | cancelled
	After    int64  // keyset: assignments with a smaller id
	Limit    int
}

// List returns the assignments the caller may know about, newest first:
// a counselor's caseload, a client's couple (less the other partner's
// safety check), or, for an admin, the clinic (statuses only).
func (s *Service) List(ctx context.Context, a actor.Actor, f ListFilter) ([]Summary, error) {
	if f.Status != "" && f.Status != StatusActive && f.Status != StatusCancelled {
		return nil, apperr.New(apperr.BadRequest, "status must be active or cancelled")
	}
	var scope string
	switch {
	case a.Has(actor.RoleAdmin):
		scope = `$2::bigint > 0` // every assignment of the clinic; $2 keeps its type
	case a.Has(actor.RoleCounselor):
		scope = `c.counselor_id = $2`
	default:
		scope = `EXISTS (SELECT 1 FROM partners me WHERE me.couple_id = c.id AND me.user_id = $2)`
	}
	// Whatever the role, a partner of the couple never learns of the other
	// partner's safety check (a person may be staff and client in one clinic).
	scope += ` AND NOT EXISTS (SELECT 1 FROM partners me WHERE me.couple_id = c.id AND me.user_id = $2
			AND ` + privateExpr + ` AND a.partner_id IS DISTINCT FROM me.id)`
	// A partner's counts cover their own and joint responses: the other
	// partner's statuses (a revision, an acceptance) are not theirs to know.
	// The other partner's one-partner work shows its coarse state only, and
	// stays where it was whatever happens to it (a withdrawal too), so the
	// status filter takes it as active.
	counted := `r.assignment_id = a.id AND NOT ` + othersResponseSQL("r", "$2")
	others := othersAssignmentSQL("a", "$2")
	items := []Summary{}
	err := s.db.SelectContext(ctx, &items, `SELECT `+assignmentCols+`, c.counselor_id AS couple_counselor_id,
		EXISTS (SELECT 1 FROM partners me WHERE me.couple_id = c.id AND me.user_id = $2) AS caller_partner,
		(SELECT count(*) FROM responses r WHERE `+counted+`) AS total,
		(SELECT count(*) FROM responses r WHERE `+counted+` AND r.status IN ('draft','revision_requested')
			AND `+DayHasComeSQL("r", "$7")+`) AS open,
		(SELECT count(*) FROM responses r WHERE `+counted+` AND r.status = 'submitted') AS waiting,
		(SELECT count(*) FROM responses r WHERE `+counted+` AND r.status = 'accepted') AS done,
		(SELECT count(*) FROM responses r WHERE `+counted+` AND r.status IN ('draft','revision_requested') AND r.due_at < $8
			AND c.status <> 'paused') AS overdue,
		`+others+` AS others_work, `+stateOfSQL("a", "$7")+` AS others_state
		`+assignmentFrom+` WHERE a.clinic_id = $1 AND `+scope+`
		AND ($3 = 0 OR a.couple_id = $3) AND ($4 = '' OR (CASE WHEN `+others+` THEN 'active' ELSE a.status END) = $4)
		AND ($5 = 0 OR a.id < $5)
		ORDER BY a.id DESC LIMIT $6`, a.ClinicID, a.UserID, f.CoupleID, f.Status, f.After, f.Limit, s.today(a), s.now())
	if err != nil {
		return nil, err
	}
	for i := range items {
		if items[i].OthersWork {
			items[i].Assignment = items[i].Assignment.forOtherPartner(items[i].OthersState)
		}
	}
	// The counselor's instructions are clinical content: an admin (who is
	// not the couple's counselor) gets statuses and dates only.
	if a.Has(actor.RoleAdmin) {
		for i := range items {
			if !(a.Has(actor.RoleCounselor) && items[i].CounselorID == a.UserID) && !items[i].CallerPartner {
				items[i].Instructions = ""
			}
		}
	}
	return items, nil
}

// MarshalJSON writes the assignment with its version's fields and the
// responses the caller may see.
func (d Detail) MarshalJSON() ([]byte, error) {
	extra := map[string]any{"schema": d.Schema, "template_instructions": d.ClientText, "responses": d.Responses}
	if d.ReplyOf != nil {
		extra["reply_of"] = d.ReplyOf
	}
	return withAssignment(d.Assignment, extra)
}

// MarshalJSON writes the assignment with its counts (null for the other
// partner's one-partner work, which shows its coarse "state" only).
func (s Summary) MarshalJSON() ([]byte, error) {
	if s.PartnerView() {
		return withAssignment(s.Assignment, map[string]any{"responses": nil, "open": nil,
			"awaiting_review": nil, "accepted": nil, "overdue": nil})
	}
	return withAssignment(s.Assignment, map[string]any{"responses": s.Total, "open": s.Open,
		"awaiting_review": s.Waiting, "accepted": s.Done, "overdue": s.OverdueN})
}
