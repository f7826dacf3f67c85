// Loaded by mocha before the tests (.mocharc.json "require"): quiet logs unless asked for.
process.env.LAKEGATE_LOG_LEVEL ??= 'silent';
