"""RunResult files: the versioned JSON format (``format``) and the exact merge of shards
(``merge``). The data itself is ``peac.model.results``."""
