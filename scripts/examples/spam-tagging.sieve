# spam-tagging.sieve -- tag spam in the header, keep the message as it came
#
# The scanner adds "X-Spam-Score" and a long "X-Spam-Report".
#   * scored  -> a copy as it arrived in "Archive/Raw", then the report
#                dropped and a verdict field added, and that into "Junk"
#   * a second List-Id (a list tool that adds its own twice) is dropped
#
# Shows:
#   RFC 5293   addheader :last, deleteheader with :matches and :index/:last;
#              each fileinto files the header as it was when it ran
#   RFC 5229   match variables in an added value
require ["editheader", "variables", "fileinto", "copy", "relational",
         "comparator-i;ascii-numeric"];

if header :matches "X-Spam-Score" "*" {
	set "score" "${1}";
	# the copy filed here is the message as it arrived
	fileinto :copy "Archive/Raw";
	# no script downstream needs the scanner's own fields any more
	deleteheader :matches "X-Spam-Report" "*";
	addheader :last "X-Filter-Verdict" "spam, score ${score}";
	# this copy, recorded after the edits, carries them
	fileinto "Junk";
	stop;
}

# a header a mailing list tool keeps adding twice: drop the later one
if header :count "gt" :comparator "i;ascii-numeric" "List-Id" "1" {
	deleteheader :index 1 :last "List-Id";
}
