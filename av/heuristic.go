package av

import (
	"path"
	"strings"

	"github.com/mailgw/mailgw/av/extract"
)

// executableTypes are content types (from magic bytes) of programs a
// mail client may run when the user opens the attachment.
var executableTypes = map[string]bool{
	"application/x-dosexec":                         true,
	"application/vnd.microsoft.portable-executable": true,
	"application/x-msdownload":                      true,
	"application/x-executable":                      true,
	"application/x-elf":                             true,
	"application/x-mach-binary":                     true,
	"application/x-sharedlib":                       true,
}

// documentExts are extensions users open without a second thought.
var documentExts = map[string]bool{
	".pdf": true, ".doc": true, ".docx": true, ".xls": true, ".xlsx": true, ".ppt": true, ".pptx": true,
	".odt": true, ".ods": true, ".rtf": true, ".txt": true, ".csv": true, ".jpg": true, ".jpeg": true,
	".png": true, ".gif": true, ".bmp": true, ".tif": true, ".tiff": true, ".mp3": true, ".mp4": true,
	".htm": true, ".html": true, ".zip": true,
}

// runnableExts are extensions Windows runs or interprets when opened.
var runnableExts = map[string]bool{
	".exe": true, ".scr": true, ".com": true, ".pif": true, ".bat": true, ".cmd": true, ".vbs": true,
	".vbe": true, ".js": true, ".jse": true, ".wsf": true, ".wsh": true, ".hta": true, ".jar": true,
	".msi": true, ".cpl": true, ".lnk": true, ".ps1": true,
}

// heuristic returns the name of a suspicious-object rule that m breaks, or
// "". Two tricks are common in mail-borne malware: a program whose name
// claims a document ("invoice.pdf" that is a PE file), and a double
// extension that hides the real one ("invoice.pdf.exe", often padded with
// spaces). Both hold inside archives too.
func heuristic(m *extract.Member) string {
	name := strings.ToLower(strings.TrimSpace(m.Name))
	ext := path.Ext(name)
	if executableTypes[m.Type] && documentExts[ext] {
		return "Heuristics.Executable.DocumentName"
	}
	if runnableExts[ext] {
		inner := path.Ext(strings.TrimSpace(strings.TrimSuffix(name, ext)))
		if documentExts[inner] {
			return "Heuristics.DoubleExtension"
		}
	}
	return ""
}
