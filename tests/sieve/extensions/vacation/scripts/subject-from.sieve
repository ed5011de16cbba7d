require "vacation";
vacation :subject "Out of office" :from "Me Myself <me@example.org>" :days 3 "Back on Monday.";
