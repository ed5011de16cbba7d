# Notifications (RFC 5435, mailto RFC 5436) and refusals (RFC 5429).
#
# A message from the boss pages the user's phone gateway, with the
# subject in the notification; mail from a known spammer is refused (with
# sieve-deliver -e the MTA refuses it itself, else the sender gets an
# MDN); mail marked as spam by the filter in front is refused at protocol
# level where the delivery can, or with an MDN where it cannot.
require ["enotify", "variables", "reject", "ereject", "envelope", "fileinto"];

if address :is "from" "boss@example.com" {
	if header :matches "subject" "*" {
		set :encodeurl "subject" "${1}";
	}
	if valid_notify_method "mailto:pager@example.net?subject=${subject}" {
		notify :importance "1" :message "Mail from the boss"
			"mailto:pager@example.net?subject=${subject}";
	}
	fileinto "Boss";
	stop;
}

if envelope :is "from" "spammer@example.org" {
	reject "I do not accept mail from this address.";
	stop;
}

if header :is "x-spam-flag" "YES" {
	ereject "Refused as spam.";
}
