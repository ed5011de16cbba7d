elsif true { keep; }
else { keep; }
