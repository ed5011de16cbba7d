require "mboxmetadata";
if metadata :is "INBOX" "/private/vendor/vendor.isode/auto-replies" "on" {
	discard;
}
