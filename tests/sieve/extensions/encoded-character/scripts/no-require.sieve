if header :is "x-none" "${hex:41}" { keep; }
if not header :contains "subject" "${hex:41}" { discard; }
