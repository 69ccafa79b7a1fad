// Package reports will own the team, executive and compliance reports and
// their renderers (PDF, XLSX, CSV). It is empty until the reports issue:
// the folder exists so the layout shows where they go.
package reports
