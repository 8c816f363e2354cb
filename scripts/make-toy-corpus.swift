// Generates the English→Korean toy corpus in data/toy from a small grammar.
//
//     swift scripts/make-toy-corpus.swift [output-directory]     (default: data/toy)
//
// Writes train.en/.ko (20,000 pairs), valid.en/.ko and test.en/.ko (1,000 each). The output is
// fixed by the seed below: running the script again rewrites the same bytes. Every English and
// every Korean sentence occurs once in the whole corpus, so no valid or test sentence is in train.
//
// The grammar exercises what makes English→Korean hard for a small model:
// - word order: English SVO becomes Korean SOV ("I read a book" → "나는 책을 읽는다");
// - particles chosen by the last syllable (batchim): 은/는, 이/가, 을/를, 와/과, plus 에게, 에
//   (destination) and 에서 (where an action happens);
// - tense: present (간다, 먹는다), past (갔다, 먹었다), future with "will" (갈 것이다).
// Topic and subject marking follow fixed, learnable rules: a pronoun subject of a verb takes the
// topic particle (나는 학교에 간다), a name takes the subject particle (철수가 영희에게 사과를
// 주었다), and the subject of an adjective ("is red", "was tired") always takes the topic
// particle (사과는 빨갛다). Korean verbs are in the plain written style (한다체).
import Foundation

// MARK: - Seeded random numbers (SplitMix64), so the corpus is reproducible

struct SplitMix64 {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
  /// Uniform in 0..<bound (the tiny modulo bias is irrelevant for a toy corpus).
  mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
  mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
  mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

// MARK: - Particles from the Hangul syllable's final consonant

/// True when the last syllable of `word` has a final consonant (batchim). A precomposed Hangul
/// syllable is 0xAC00 + (initial × 21 + vowel) × 28 + final, with final 0 meaning none.
func hasBatchim(_ word: String) -> Bool {
  guard let last = word.unicodeScalars.last, (0xAC00...0xD7A3).contains(last.value) else {
    fatalError("lexicon error: '\(word)' does not end in a Hangul syllable")
  }
  return (last.value - 0xAC00) % 28 != 0
}

enum Particle { case topic, subject, object, with, to, at, toPerson }

func attach(_ particle: Particle, to word: String) -> String {
  let batchim = hasBatchim(word)
  switch particle {
  case .topic: return word + (batchim ? "은" : "는")
  case .subject: return word + (batchim ? "이" : "가")
  case .object: return word + (batchim ? "을" : "를")
  case .with: return word + (batchim ? "과" : "와")
  case .to: return word + "에"
  case .at: return word + "에서"
  case .toPerson: return word + "에게"
  }
}

// MARK: - Lexicon

enum Tense: CaseIterable { case present, past, future }
/// English agreement: "I am/go", "you/we/they are/go", "he/she/Cheolsu is/goes".
enum Agreement { case first, plural, third }

struct Person {
  let subject: String, object: String, korean: String
  let isPronoun: Bool, agreement: Agreement
  /// People a sentence may not use twice ("I met me", "we gave me"): "I" and "we" overlap.
  let identity: Set<String>
}

let pronouns = [
  Person(
    subject: "I", object: "me", korean: "나", isPronoun: true, agreement: .first, identity: ["I"]),
  Person(
    subject: "you", object: "you", korean: "너", isPronoun: true, agreement: .plural,
    identity: ["you"]),
  Person(
    subject: "he", object: "him", korean: "그", isPronoun: true, agreement: .third, identity: ["he"]),
  Person(
    subject: "she", object: "her", korean: "그녀", isPronoun: true, agreement: .third,
    identity: ["she"]),
  Person(
    subject: "we", object: "us", korean: "우리", isPronoun: true, agreement: .plural,
    identity: ["I", "we"]),
  Person(
    subject: "they", object: "them", korean: "그들", isPronoun: true, agreement: .plural,
    identity: ["they"]),
]
let names = [
  ("Cheolsu", "철수"), ("Younghee", "영희"), ("Minsu", "민수"), ("Jiyoung", "지영"), ("Hyunwoo", "현우"),
]
.map {
  Person(
    subject: $0.0, object: $0.0, korean: $0.1, isPronoun: false, agreement: .third, identity: [$0.0]
  )
}
let people = pronouns + names

struct Noun { let indefinite: String, definite: String, korean: String }
let nouns: [String: Noun] = [
  "apple": Noun(indefinite: "an apple", definite: "the apple", korean: "사과"),
  "banana": Noun(indefinite: "a banana", definite: "the banana", korean: "바나나"),
  "orange": Noun(indefinite: "an orange", definite: "the orange", korean: "오렌지"),
  "egg": Noun(indefinite: "an egg", definite: "the egg", korean: "달걀"),
  "cake": Noun(indefinite: "a cake", definite: "the cake", korean: "케이크"),
  "bread": Noun(indefinite: "bread", definite: "the bread", korean: "빵"),
  "rice": Noun(indefinite: "rice", definite: "the rice", korean: "밥"),
  "sandwich": Noun(indefinite: "a sandwich", definite: "the sandwich", korean: "샌드위치"),
  "water": Noun(indefinite: "water", definite: "the water", korean: "물"),
  "milk": Noun(indefinite: "milk", definite: "the milk", korean: "우유"),
  "coffee": Noun(indefinite: "coffee", definite: "the coffee", korean: "커피"),
  "juice": Noun(indefinite: "juice", definite: "the juice", korean: "주스"),
  "tea": Noun(indefinite: "tea", definite: "the tea", korean: "차"),
  "book": Noun(indefinite: "a book", definite: "the book", korean: "책"),
  "letter": Noun(indefinite: "a letter", definite: "the letter", korean: "편지"),
  "newspaper": Noun(indefinite: "a newspaper", definite: "the newspaper", korean: "신문"),
  "flower": Noun(indefinite: "a flower", definite: "the flower", korean: "꽃"),
  "ball": Noun(indefinite: "a ball", definite: "the ball", korean: "공"),
  "pencil": Noun(indefinite: "a pencil", definite: "the pencil", korean: "연필"),
  "bag": Noun(indefinite: "a bag", definite: "the bag", korean: "가방"),
  "computer": Noun(indefinite: "a computer", definite: "the computer", korean: "컴퓨터"),
  "umbrella": Noun(indefinite: "an umbrella", definite: "the umbrella", korean: "우산"),
  "hat": Noun(indefinite: "a hat", definite: "the hat", korean: "모자"),
  "photo": Noun(indefinite: "a photo", definite: "the photo", korean: "사진"),
  "picture": Noun(indefinite: "a picture", definite: "the picture", korean: "그림"),
  "song": Noun(indefinite: "a song", definite: "the song", korean: "노래"),
  "movie": Noun(indefinite: "a movie", definite: "the movie", korean: "영화"),
  "door": Noun(indefinite: "the door", definite: "the door", korean: "문"),
  "window": Noun(indefinite: "the window", definite: "the window", korean: "창문"),
  "box": Noun(indefinite: "a box", definite: "the box", korean: "상자"),
  "dog": Noun(indefinite: "a dog", definite: "the dog", korean: "개"),
  "cat": Noun(indefinite: "a cat", definite: "the cat", korean: "고양이"),
]

struct Place {
  let to: String, at: String, korean: String
  /// "the park", for adjective sentences; nil where none is needed ("home").
  var definite: String? { to.hasPrefix("to the ") ? String(to.dropFirst(3)) : nil }
}
let places: [String: Place] = [
  "school": Place(to: "to school", at: "at school", korean: "학교"),
  "library": Place(to: "to the library", at: "at the library", korean: "도서관"),
  "park": Place(to: "to the park", at: "in the park", korean: "공원"),
  "market": Place(to: "to the market", at: "at the market", korean: "시장"),
  "hospital": Place(to: "to the hospital", at: "at the hospital", korean: "병원"),
  "home": Place(to: "home", at: "at home", korean: "집"),
  "station": Place(to: "to the station", at: "at the station", korean: "역"),
  "restaurant": Place(to: "to the restaurant", at: "at the restaurant", korean: "식당"),
  "cafe": Place(to: "to the cafe", at: "at the cafe", korean: "카페"),
  "store": Place(to: "to the store", at: "at the store", korean: "가게"),
  "office": Place(to: "to the office", at: "at the office", korean: "사무실"),
  "beach": Place(to: "to the beach", at: "at the beach", korean: "해변"),
  "pool": Place(to: "to the pool", at: "at the pool", korean: "수영장"),
  "theater": Place(to: "to the theater", at: "at the theater", korean: "극장"),
  "Seoul": Place(to: "to Seoul", at: "in Seoul", korean: "서울"),
  "Busan": Place(to: "to Busan", at: "in Busan", korean: "부산"),
]

/// A verb with its English forms (base, third person, past) and Korean plain-style forms.
/// `objects` and `places` list the nouns and places it combines with; `future` is nil where
/// "will" would sound odd ("will like").
struct Verb {
  let base: String, third: String, past: String
  let present: String, koreanPast: String, future: String?
  var objects: [String] = []
  var places: [String] = []
  var tenses: [Tense] { future == nil ? [.present, .past] : Tense.allCases }
}

func verb(_ english: String, _ korean: String, objects: [String] = [], places: [String] = [])
  -> Verb
{
  let e = english.split(separator: "/").map(String.init)
  let k = korean.split(separator: "/").map(String.init)
  return Verb(
    base: e[0], third: e[1], past: e[2], present: k[0], koreanPast: k[1],
    future: k.count > 2 ? k[2] : nil, objects: objects, places: places)
}

let food = ["apple", "banana", "orange", "egg", "cake", "bread", "rice", "sandwich"]
let drinks = ["water", "milk", "coffee", "juice", "tea"]
let goods = ["book", "flower", "ball", "pencil", "bag", "computer", "umbrella", "hat"]

let transitiveVerbs = [
  verb(
    "eat/eats/ate", "먹는다/먹었다/먹을 것이다", objects: food,
    places: ["restaurant", "home", "cafe", "park", "school"]),
  verb(
    "drink/drinks/drank", "마신다/마셨다/마실 것이다", objects: drinks, places: ["cafe", "home", "restaurant"]),
  verb(
    "read/reads/read", "읽는다/읽었다/읽을 것이다", objects: ["book", "letter", "newspaper"],
    places: ["library", "home", "cafe", "park", "school"]),
  verb(
    "write/writes/wrote", "쓴다/썼다/쓸 것이다", objects: ["letter", "book"],
    places: ["home", "library", "cafe", "school", "office"]),
  verb(
    "buy/buys/bought", "산다/샀다/살 것이다",
    objects: food + ["milk", "coffee", "juice", "newspaper"] + goods, places: ["market", "store"]),
  verb(
    "sell/sells/sold", "판다/팔았다/팔 것이다",
    objects: ["apple", "banana", "bread", "flower", "book", "bag", "computer", "umbrella", "hat"],
    places: ["market", "store"]),
  verb(
    "make/makes/made", "만든다/만들었다/만들 것이다", objects: ["cake", "bread", "sandwich"],
    places: ["home", "restaurant"]),
  verb("watch/watches/watched", "본다/보았다/볼 것이다", objects: ["movie"], places: ["home", "theater"]),
  verb(
    "see/sees/saw", "본다/보았다/볼 것이다", objects: ["dog", "cat", "flower"],
    places: ["park", "beach", "school"]),
  verb("open/opens/opened", "연다/열었다/열 것이다", objects: ["door", "window", "box", "bag"]),
  verb("close/closes/closed", "닫는다/닫았다/닫을 것이다", objects: ["door", "window", "box"]),
  verb("sing/sings/sang", "부른다/불렀다/부를 것이다", objects: ["song"], places: ["school", "park", "home"]),
  verb(
    "draw/draws/drew", "그린다/그렸다/그릴 것이다", objects: ["picture", "cat", "dog", "flower"],
    places: ["park", "school", "home"]),
  verb(
    "take/takes/took", "찍는다/찍었다/찍을 것이다", objects: ["photo"], places: ["park", "beach", "school"]),
  verb("wash/washes/washed", "씻는다/씻었다/씻을 것이다", objects: ["apple", "orange"]),
]
/// Verbs whose object is a person ("Cheolsu met Younghee" → 철수가 영희를 만났다).
let personVerbs = [
  verb(
    "meet/meets/met", "만난다/만났다/만날 것이다",
    places: ["park", "school", "station", "cafe", "library", "restaurant"]),
  verb("help/helps/helped", "돕는다/도왔다/도울 것이다", places: ["school", "home"]),
  verb(
    "wait for/waits for/waited for", "기다린다/기다렸다/기다릴 것이다",
    places: ["station", "park", "school", "cafe"]),
  verb("like/likes/liked", "좋아한다/좋아했다"),
  verb("love/loves/loved", "사랑한다/사랑했다"),
]
/// "Cheolsu called Younghee" → 철수가 영희에게 전화했다: an English object, a Korean 에게.
let callVerb = verb("call/calls/called", "전화한다/전화했다/전화할 것이다")
/// Verbs with a companion: "talked with Younghee" → 영희와 이야기했다.
let companionVerbs = [
  verb(
    "talk with/talks with/talked with", "이야기한다/이야기했다/이야기할 것이다", places: ["cafe", "park", "school"]),
  verb(
    "play with/plays with/played with", "논다/놀았다/놀 것이다", places: ["park", "school", "home", "beach"]),
]
/// Giving verbs: "gave Younghee an apple" / "gave an apple to Younghee" → 영희에게 사과를 주었다.
let givingVerbs = [
  verb(
    "give/gives/gave", "준다/주었다/줄 것이다",
    objects: [
      "apple", "banana", "orange", "cake", "bread", "book", "letter", "flower", "ball", "pencil",
      "bag", "umbrella", "photo", "hat",
    ]),
  verb(
    "send/sends/sent", "보낸다/보냈다/보낼 것이다", objects: ["letter", "book", "flower", "photo", "cake"]),
  verb(
    "show/shows/showed", "보여 준다/보여 주었다/보여 줄 것이다",
    objects: ["photo", "book", "picture", "bag", "letter", "hat", "computer"]),
  verb(
    "lend/lends/lent", "빌려준다/빌려주었다/빌려줄 것이다",
    objects: ["book", "pencil", "umbrella", "bag", "computer", "ball"]),
  verb("sell/sells/sold", "판다/팔았다/팔 것이다", objects: ["book", "bag", "computer", "flower", "hat"]),
]
let everywhere = [
  "school", "library", "park", "market", "hospital", "home", "station", "restaurant", "cafe",
  "store", "office", "beach", "pool", "theater", "Seoul", "Busan",
]
let nearby = ["school", "library", "park", "market", "station", "store", "home", "cafe"]
/// Verbs of motion to a place: "goes to the park" → 공원에 간다.
let motionVerbs = [
  verb("go/goes/went", "간다/갔다/갈 것이다", places: everywhere),
  verb("come/comes/came", "온다/왔다/올 것이다", places: everywhere),
  verb("walk/walks/walked", "걸어간다/걸어갔다/걸어갈 것이다", places: nearby),
  verb(
    "run/runs/ran", "뛰어간다/뛰어갔다/뛰어갈 것이다", places: ["school", "park", "station", "home", "store"]),
]
/// Intransitive verbs, alone ("Minsu laughed") or at a place ("studies at the library").
let intransitiveVerbs = [
  verb(
    "study/studies/studied", "공부한다/공부했다/공부할 것이다",
    places: ["library", "school", "home", "cafe", "Seoul"]),
  verb(
    "work/works/worked", "일한다/일했다/일할 것이다",
    places: [
      "hospital", "office", "store", "restaurant", "market", "library", "school", "station", "cafe",
      "Seoul", "Busan",
    ]),
  verb("play/plays/played", "논다/놀았다/놀 것이다", places: ["park", "home", "school", "beach"]),
  verb("swim/swims/swam", "수영한다/수영했다/수영할 것이다", places: ["pool", "beach"]),
  verb("sleep/sleeps/slept", "잔다/잤다/잘 것이다", places: ["home"]),
  verb("rest/rests/rested", "쉰다/쉬었다/쉴 것이다", places: ["home", "park"]),
  verb("wait/waits/waited", "기다린다/기다렸다/기다릴 것이다", places: ["station", "park", "cafe", "school"]),
  verb("laugh/laughs/laughed", "웃는다/웃었다"),
  verb("cry/cries/cried", "운다/울었다"),
]

/// An adjective: English word; Korean present, past and (for people) future forms.
struct Adjective {
  let english: String, present: String, past: String, future: String?, nouns: [String]
}
func adjective(_ english: String, _ korean: String, _ nouns: [String]) -> Adjective {
  let k = korean.split(separator: "/").map(String.init)
  return Adjective(
    english: english, present: k[0], past: k[1], future: k.count > 2 ? k[2] : nil, nouns: nouns)
}
let thingAdjectives = [
  adjective("red", "빨갛다/빨갰다", ["apple", "ball", "flower", "hat", "bag"]),
  adjective("yellow", "노랗다/노랬다", ["banana", "flower", "hat", "ball"]),
  adjective(
    "big", "크다/컸다",
    ["apple", "orange", "cake", "book", "bag", "box", "dog", "ball", "park", "library", "computer"]),
  adjective(
    "small", "작다/작았다",
    ["apple", "orange", "book", "bag", "box", "dog", "cat", "flower", "hat", "restaurant", "cafe"]),
  adjective(
    "delicious", "맛있다/맛있었다",
    [
      "apple", "banana", "orange", "cake", "bread", "rice", "sandwich", "coffee", "juice", "milk",
      "tea",
    ]),
  adjective("sweet", "달다/달았다", ["apple", "banana", "orange", "cake", "juice"]),
  adjective(
    "expensive", "비싸다/비쌌다", ["book", "bag", "computer", "umbrella", "hat", "cake", "restaurant"]),
  adjective("cheap", "싸다/쌌다", ["book", "bag", "umbrella", "hat", "bread", "apple"]),
  adjective("hot", "뜨겁다/뜨거웠다", ["coffee", "tea", "water"]),
  adjective("cold", "차갑다/차가웠다", ["water", "milk", "juice", "coffee"]),
  adjective("heavy", "무겁다/무거웠다", ["book", "bag", "box", "computer"]),
  adjective("light", "가볍다/가벼웠다", ["bag", "box", "umbrella", "ball"]),
  adjective("interesting", "재미있다/재미있었다", ["book", "movie"]),
  adjective("long", "길다/길었다", ["movie", "letter", "song"]),
  adjective("pretty", "예쁘다/예뻤다", ["flower", "bag", "hat", "cat", "picture"]),
  adjective("cute", "귀엽다/귀여웠다", ["dog", "cat"]),
  adjective("quiet", "조용하다/조용했다", ["library", "park", "cafe"]),
  adjective("clean", "깨끗하다/깨끗했다", ["restaurant", "cafe", "station", "hospital", "pool"]),
]
let personAdjectives = [
  adjective("busy", "바쁘다/바빴다/바쁠 것이다", []),
  adjective("happy", "행복하다/행복했다/행복할 것이다", []),
  adjective("tired", "피곤하다/피곤했다/피곤할 것이다", []),
  adjective("hungry", "배고프다/배고팠다/배고플 것이다", []),
  adjective("sick", "아프다/아팠다/아플 것이다", []),
  adjective("kind", "친절하다/친절했다", []),
]

struct TimeWord { let english: String, korean: String, tenses: [Tense] }
let timeWords = [
  TimeWord(english: "yesterday", korean: "어제", tenses: [.past]),
  TimeWord(english: "last night", korean: "어젯밤에", tenses: [.past]),
  TimeWord(english: "last week", korean: "지난주에", tenses: [.past]),
  TimeWord(english: "this morning", korean: "오늘 아침에", tenses: [.past]),
  TimeWord(english: "today", korean: "오늘", tenses: [.past, .future]),
  TimeWord(english: "tomorrow", korean: "내일", tenses: [.future]),
  TimeWord(english: "next week", korean: "다음 주에", tenses: [.future]),
  TimeWord(english: "every day", korean: "매일", tenses: [.present]),
  TimeWord(english: "every morning", korean: "매일 아침", tenses: [.present]),
  TimeWord(english: "on Sunday", korean: "일요일에", tenses: [.present, .past, .future]),
]

// MARK: - Sentence building

/// A subject in both languages: English words and agreement, the Korean noun phrase with its
/// particle, and the people it names (to avoid "I met me").
struct Subject { let english: String, agreement: Agreement, korean: String, identity: Set<String> }

/// Picks a subject. Verb sentences: pronoun → topic (나는), names → subject (철수가, 철수와
/// 영희가). Adjective sentences: always topic (철수는 바쁘다).
func pickSubject(_ random: inout SplitMix64, adjective: Bool, coordinated: Bool = false) -> Subject
{
  if coordinated {
    let first = random.pick(names)
    var second = random.pick(names)
    while second.subject == first.subject { second = random.pick(names) }
    let korean =
      attach(.with, to: first.korean) + " "
      + attach(adjective ? .topic : .subject, to: second.korean)
    return Subject(
      english: "\(first.subject) and \(second.subject)", agreement: .plural,
      korean: korean, identity: first.identity.union(second.identity))
  }
  let person = random.pick(people)
  let particle: Particle = adjective || person.isPronoun ? .topic : .subject
  return Subject(
    english: person.subject, agreement: person.agreement,
    korean: attach(particle, to: person.korean), identity: person.identity)
}

/// Another person for an object, companion or recipient, never one of the subject's people.
func pickOther(_ random: inout SplitMix64, not subject: Subject) -> Person {
  while true {
    let person = random.pick(people)
    if person.identity.isDisjoint(with: subject.identity) { return person }
  }
}

func englishVerb(_ verb: Verb, _ tense: Tense, _ agreement: Agreement) -> String {
  switch tense {
  case .present: return agreement == .third ? verb.third : verb.base
  case .past: return verb.past
  case .future: return "will " + verb.base
  }
}

func koreanVerb(_ verb: Verb, _ tense: Tense) -> String {
  switch tense {
  case .present: return verb.present
  case .past: return verb.koreanPast
  case .future: return verb.future!
  }
}

func englishBe(_ tense: Tense, _ agreement: Agreement) -> String {
  switch (tense, agreement) {
  case (.present, .first): return "am"
  case (.present, .plural): return "are"
  case (.present, .third): return "is"
  case (.past, .plural): return "were"
  case (.past, _): return "was"
  case (.future, _): return "will be"
  }
}

/// A time word for the tense, or none half the time.
func pickTime(_ random: inout SplitMix64, _ tense: Tense) -> TimeWord? {
  guard random.chance(50) else { return nil }
  return random.pick(timeWords.filter { $0.tenses.contains(tense) })
}

/// Builds a pair: English words in SVO order, Korean in SOV order with the time after the
/// subject. Returns English capitalised, without final punctuation.
func pair(_ english: [String], _ korean: [String]) -> (String, String) {
  let text = english.filter { !$0.isEmpty }.joined(separator: " ")
  return (
    text.prefix(1).uppercased() + text.dropFirst(),
    korean.filter { !$0.isEmpty }.joined(separator: " ")
  )
}

func sentence(_ random: inout SplitMix64) -> (String, String) {
  let roll = random.below(100)
  let coordinated = random.chance(8)
  switch roll {
  case 0..<18:  // S V to PLACE [with P] [TIME] → S [TIME] [P와] PLACE에 V
    let subject = pickSubject(&random, adjective: false, coordinated: coordinated)
    let v = random.pick(motionVerbs)
    let place = places[random.pick(v.places)]!
    let tense = random.pick(v.tenses)
    let time = pickTime(&random, tense)
    let companion = random.chance(25) ? pickOther(&random, not: subject) : nil
    return pair(
      [
        subject.english, englishVerb(v, tense, subject.agreement), place.to,
        companion.map { "with " + $0.object } ?? "", time?.english ?? "",
      ],
      [
        subject.korean, time?.korean ?? "", companion.map { attach(.with, to: $0.korean) } ?? "",
        attach(.to, to: place.korean), koreanVerb(v, tense),
      ])
  case 18..<42:  // S V O [and O2] [at PLACE] [TIME] → S [TIME] [PLACE에서] O를 V
    let subject = pickSubject(&random, adjective: false, coordinated: coordinated)
    let v = random.pick(transitiveVerbs)
    let tense = random.pick(v.tenses)
    let time = pickTime(&random, tense)
    let object = nouns[random.pick(v.objects)]!
    var englishObject = object.indefinite
    var koreanObject = attach(.object, to: object.korean)
    // Only things one eats, drinks, buys or sells pair up naturally ("bread and milk").
    if ["eat", "drink", "buy", "sell"].contains(v.base), random.chance(20) {
      let second = nouns[random.pick(v.objects.filter { nouns[$0]!.korean != object.korean })]!
      englishObject += " and " + second.indefinite
      koreanObject = attach(.with, to: object.korean) + " " + attach(.object, to: second.korean)
    }
    let place = !v.places.isEmpty && random.chance(45) ? places[random.pick(v.places)]! : nil
    return pair(
      [
        subject.english, englishVerb(v, tense, subject.agreement), englishObject, place?.at ?? "",
        time?.english ?? "",
      ],
      [
        subject.korean, time?.korean ?? "", place.map { attach(.at, to: $0.korean) } ?? "",
        koreanObject, koreanVerb(v, tense),
      ])
  case 42..<54:  // S V [at PLACE] [TIME] → S [TIME] [PLACE에서] V
    let subject = pickSubject(&random, adjective: false, coordinated: coordinated)
    let v = random.pick(intransitiveVerbs)
    let tense = random.pick(v.tenses)
    let time = pickTime(&random, tense)
    let place = !v.places.isEmpty && random.chance(70) ? places[random.pick(v.places)]! : nil
    return pair(
      [
        subject.english, englishVerb(v, tense, subject.agreement), place?.at ?? "",
        time?.english ?? "",
      ],
      [
        subject.korean, time?.korean ?? "", place.map { attach(.at, to: $0.korean) } ?? "",
        koreanVerb(v, tense),
      ])
  case 54..<64:  // S V P [at PLACE] [TIME] → S [TIME] [PLACE에서] P를 V
    let subject = pickSubject(&random, adjective: false)
    let v = random.pick(personVerbs)
    let tense = random.pick(v.tenses)
    // Feelings take no time word: "I love him every morning" is odd.
    let time = v.places.isEmpty ? nil : pickTime(&random, tense)
    let other = pickOther(&random, not: subject)
    let place = !v.places.isEmpty && random.chance(40) ? places[random.pick(v.places)]! : nil
    return pair(
      [
        subject.english, englishVerb(v, tense, subject.agreement), other.object, place?.at ?? "",
        time?.english ?? "",
      ],
      [
        subject.korean, time?.korean ?? "", place.map { attach(.at, to: $0.korean) } ?? "",
        attach(.object, to: other.korean), koreanVerb(v, tense),
      ])
  case 64..<68:  // S called P [TIME] → S [TIME] P에게 전화했다
    let subject = pickSubject(&random, adjective: false)
    let tense = random.pick(callVerb.tenses)
    let time = pickTime(&random, tense)
    let other = pickOther(&random, not: subject)
    return pair(
      [
        subject.english, englishVerb(callVerb, tense, subject.agreement), other.object,
        time?.english ?? "",
      ],
      [
        subject.korean, time?.korean ?? "", attach(.toPerson, to: other.korean),
        koreanVerb(callVerb, tense),
      ])
  case 68..<74:  // S talked with P [at PLACE] [TIME] → S [TIME] [PLACE에서] P와 V
    let subject = pickSubject(&random, adjective: false)
    let v = random.pick(companionVerbs)
    let tense = random.pick(v.tenses)
    let time = pickTime(&random, tense)
    let other = pickOther(&random, not: subject)
    let place = random.chance(40) ? places[random.pick(v.places)]! : nil
    return pair(
      [
        subject.english, englishVerb(v, tense, subject.agreement), other.object, place?.at ?? "",
        time?.english ?? "",
      ],
      [
        subject.korean, time?.korean ?? "", place.map { attach(.at, to: $0.korean) } ?? "",
        attach(.with, to: other.korean), koreanVerb(v, tense),
      ])
  case 74..<88:  // S gave IO O / S gave O to IO [TIME] → S [TIME] IO에게 O를 V
    let subject = pickSubject(&random, adjective: false)
    let v = random.pick(givingVerbs)
    let tense = random.pick(v.tenses)
    let time = pickTime(&random, tense)
    let recipient = pickOther(&random, not: subject)
    let object = nouns[random.pick(v.objects)]!
    let english =
      random.chance(50)
      ? [recipient.object, object.indefinite] : [object.indefinite, "to", recipient.object]
    return pair(
      [subject.english, englishVerb(v, tense, subject.agreement)] + english + [time?.english ?? ""],
      [
        subject.korean, time?.korean ?? "", attach(.toPerson, to: recipient.korean),
        attach(.object, to: object.korean), koreanVerb(v, tense),
      ])
  case 88..<94:  // The N is ADJ → N은 ADJ
    let a = random.pick(thingAdjectives)
    let tense: Tense = random.chance(60) ? .present : .past
    let key = random.pick(a.nouns)
    let (english, korean) =
      nouns[key].map { ($0.definite, $0.korean) }
      ?? (places[key]!.definite!, places[key]!.korean)
    return pair(
      [english, englishBe(tense, .third), a.english],
      [attach(.topic, to: korean), tense == .present ? a.present : a.past])
  default:  // S is ADJ [TIME] → S는 [TIME] ADJ
    let subject = pickSubject(&random, adjective: true, coordinated: coordinated)
    let a = random.pick(personAdjectives)
    let tense = random.pick(a.future == nil ? [Tense.present, .past] : Tense.allCases)
    let time =
      tense == .present ? (random.chance(30) ? timeWords[4] : nil) : pickTime(&random, tense)
    let korean = tense == .present ? a.present : tense == .past ? a.past : a.future!
    return pair(
      [subject.english, englishBe(tense, subject.agreement), a.english, time?.english ?? ""],
      [subject.korean, time?.korean ?? "", korean])
  }
}

// MARK: - Splits and output

let required = [
  ("I go to school", "나는 학교에 간다"),
  ("Cheolsu gave Younghee an apple", "철수가 영희에게 사과를 주었다"),
]
var random = SplitMix64(state: 20_240_601)
var seenEnglish = Set(required.map(\.0))
var seenKorean = Set(required.map(\.1))

/// `count` new pairs, none of whose sides occurred before in any split.
func fresh(_ count: Int) -> [(String, String)] {
  var result: [(String, String)] = []
  var attempts = 0
  while result.count < count {
    attempts += 1
    precondition(attempts < 100 * count, "the grammar ran out of distinct sentences")
    let (english, korean) = sentence(&random)
    guard !seenEnglish.contains(english), !seenKorean.contains(korean) else { continue }
    seenEnglish.insert(english)
    seenKorean.insert(korean)
    result.append((english, korean))
  }
  return result
}

let test = fresh(1000)
let valid = fresh(1000)
var train = required + fresh(20_000 - required.count)
for index in stride(from: train.count - 1, to: 0, by: -1) {
  train.swapAt(index, random.below(index + 1))
}

let output = URL(
  fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "data/toy")
try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
for (name, pairs) in [("train", train), ("valid", valid), ("test", test)] {
  for (language, side) in [("en", pairs.map(\.0)), ("ko", pairs.map(\.1))] {
    let url = output.appendingPathComponent("\(name).\(language)")
    let temporary = output.appendingPathComponent(".\(name).\(language).tmp")
    try (side.joined(separator: "\n") + "\n").write(
      to: temporary, atomically: false, encoding: .utf8)
    guard rename(temporary.path, url.path) == 0 else {
      fatalError("cannot rename \(temporary.path) to \(url.path)")
    }
  }
  print("\(name): \(pairs.count) pairs")
}
