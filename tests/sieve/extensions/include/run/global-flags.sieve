require ["include", "variables", "imap4flags", "fileinto"];
global "myflags";
include "flagger";
if hasflag "myflags" "$Seen-By-Lib" {
	fileinto "hasflag-sees-global";
}
