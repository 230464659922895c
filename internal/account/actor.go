package account

import (
	"context"
	"database/sql"
	"strings"

	"github.com/mend-clinic/mend/internal/apperr"
)

// userColumnsU is UserColumns with the users table's alias.
var userColumnsU = "u." + strings.ReplaceAll(UserColumns, ", ", ", u.")

// WithMemberships returns an active user and their active memberships (by
// clinic then role) in one query: what every request reads of its caller,
// ByID and Memberships together.
func (s *Service) WithMemberships(ctx context.Context, id int64) (User, []Membership, error) {
	var rows []struct {
		User
		ClinicID   sql.NullInt64  `db:"m_clinic_id"`
		ClinicName sql.NullString `db:"m_clinic_name"`
		Role       sql.NullString `db:"m_role"`
		ClinicZone *string        `db:"m_clinic_time_zone"`
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+userColumnsU+`,
			m.clinic_id AS m_clinic_id, c.name AS m_clinic_name, m.role AS m_role, c.time_zone AS m_clinic_time_zone
		FROM users u
		LEFT JOIN memberships m ON m.user_id = u.id AND m.active
		LEFT JOIN clinics c ON c.id = m.clinic_id
		WHERE u.id = $1 AND u.active
		ORDER BY c.name, c.id, m.role`, id)
	if err != nil {
		return User{}, nil, err
	}
	if len(rows) == 0 {
		return User{}, nil, apperr.New(apperr.Unauthorized, "Your account is not active.")
	}
	ms := []Membership{}
	for _, r := range rows {
		if r.ClinicID.Valid && r.ClinicName.Valid && r.Role.Valid {
			ms = append(ms, Membership{ClinicID: r.ClinicID.Int64, ClinicName: r.ClinicName.String, Role: r.Role.String, ClinicZone: r.ClinicZone})
		}
	}
	return rows[0].User, ms, nil
}
