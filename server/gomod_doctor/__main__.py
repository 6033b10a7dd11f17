from gomod_doctor.main import main

raise SystemExit(main())
