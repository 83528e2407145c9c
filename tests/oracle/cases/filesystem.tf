# Filesystem functions, over files under tests/oracle/files/.
locals {
  filesystem_abspath_rel    = substr(abspath("files"), 0, 1) == "/"
  filesystem_basename       = basename("foo/bar/baz.txt")
  filesystem_basename_dir   = basename("foo/bar/")
  filesystem_dirname        = dirname("foo/bar/baz.txt")
  filesystem_dirname_top    = dirname("baz.txt")
  filesystem_pathexpand     = pathexpand("foo/bar")
  filesystem_file           = file("${path.module}/files/hello.txt")
  filesystem_fileexists     = fileexists("${path.module}/files/hello.txt")
  filesystem_fileexists_no  = fileexists("${path.module}/files/missing.txt")
  filesystem_fileset        = fileset("${path.module}/files", "*.txt")
  filesystem_fileset_deep   = fileset(path.module, "files/**/*.txt")
  filesystem_filebase64     = filebase64("${path.module}/files/hello.txt")
  filesystem_templatefile   = templatefile("${path.module}/files/list.tftpl", { names = ["a", "b"] })
  filesystem_jsondecode_file = jsondecode(file("${path.module}/files/data.json"))
  filesystem_filemd5        = filemd5("${path.module}/files/hello.txt")
  filesystem_filesha1       = filesha1("${path.module}/files/hello.txt")
  filesystem_filesha256     = filesha256("${path.module}/files/hello.txt")
  filesystem_filesha512     = filesha512("${path.module}/files/hello.txt")
  filesystem_filebase64sha256 = filebase64sha256("${path.module}/files/hello.txt")
  filesystem_filebase64sha512 = filebase64sha512("${path.module}/files/hello.txt")
  filesystem_path_module    = path.module
  filesystem_path_root      = path.root
  # path.cwd is absolute in Terraform and depends on where it runs: only its shape is compared.
  filesystem_path_cwd_abs   = substr(path.cwd, 0, 1) == "/"
  filesystem_fileset_all    = fileset("${path.module}/files", "**")
  filesystem_fileset_alt    = fileset("${path.module}/files", "{hello,data}.*")
  filesystem_fileset_class  = fileset("${path.module}/files", "sub/[a-a].txt")
  filesystem_fileset_neg    = fileset("${path.module}/files", "sub/[^a].txt")
  filesystem_fileset_qmark  = fileset("${path.module}/files", "sub/?.txt")
  filesystem_fileset_none   = fileset("${path.module}/files", "nothing/*")
  filesystem_fileset_up     = fileset("${path.module}/files/sub", "../*.txt")
  filesystem_fileset_literal = fileset(path.module, "files/hello.txt")
}
