//go:build !linux

package configs

import "syscall"

// childProcAttr leaves a read-file child in pulseboard's process group.
func childProcAttr() *syscall.SysProcAttr { return nil }

// pseudoFS knows no pseudo filesystem outside Linux: there a file is
// refused by its kind only, and a read that blocks runs into its budget.
func pseudoFS(openedFile) (string, error) { return "", nil }
